/** Bucket-policy statements every bucket of the project carries. */

/** Refuses every request to the bucket and its objects that is not made over TLS (AWS Security Hub control S3.5). */
export function denyRequestsWithoutTls(bucketArn: string) {
  return {
    Sid: "DenyRequestsWithoutTls",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  } as const;
}
