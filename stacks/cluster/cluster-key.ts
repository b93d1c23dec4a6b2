import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import type { Config } from "../../lib/config";
import { resourceName } from "../../lib/naming";
import { arnPartition } from "../../lib/storage";

export interface ClusterKeyProps {
  readonly config: Config;
}

/** Days KMS waits before it deletes the key after `destroy` (7 is the shortest KMS allows). */
export const KEY_DELETION_WINDOW_DAYS = 7;

/**
 * The encryption context key Parameter Store passes to KMS: the parameter's
 * ARN (AWS KMS Developer Guide, "How AWS Systems Manager Parameter Store uses
 * AWS KMS"). A key policy conditioned on it names the parameters a principal
 * may decrypt or encrypt through SSM.
 */
export const SSM_CONTEXT_KEY = "kms:EncryptionContext:PARAMETER_ARN";
/** S3's encryption context under SSE-KMS without a bucket key: the object's ARN. */
export const S3_CONTEXT_KEY = "kms:EncryptionContext:aws:s3:arn";

/** The cluster key's alias name. */
export function clusterKeyAlias(config: Pick<Config, "name">): string {
  return `alias/${resourceName(config, "cluster-secrets")}`;
}

interface KeyPolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Principal: { AWS: string };
  readonly Action: string[];
  readonly Resource: "*";
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * The cluster's customer-managed KMS key (rotated yearly by KMS). It encrypts
 * every cluster secret in Parameter Store and the etcd snapshots.
 *
 * Its key policy has one statement for the account (so that IAM policies in
 * the account, the deployer's among them, can grant its use; the node roles
 * carry no KMS statement, so they get nothing from it) and one statement per
 * grant added with the methods below. Each grant names one role and the
 * exact parameters (or S3 objects) it may use the key for, through the
 * encryption context, and only through that service (`kms:ViaService`).
 *
 * Grants are collected while the stack is built and written when it is
 * synthesized, so any construct of the stack can add its own.
 */
export class ClusterKey extends Construct {
  readonly key: KmsKey;
  readonly alias: KmsAlias;
  /** `alias/<name>-cluster-secrets`, known at synth: a node names the key by it (S3 resolves it in the caller's account). */
  readonly aliasName: string;
  /** The key's ARN, for `key_id` of a SecureString and `kms_master_key_id` of a bucket. */
  readonly arn: string;
  private readonly partition: string;
  private readonly region: string;
  private readonly accountId: string;
  private readonly grants: KeyPolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: ClusterKeyProps) {
    super(scope, id);
    const { config } = props;
    this.partition = arnPartition(config.region);
    this.region = config.region;
    this.accountId = new DataAwsCallerIdentity(this, "account").accountId;

    this.key = new KmsKey(this, "key", {
      description: `Secrets of the ${config.name} cluster: SSM SecureString parameters and etcd snapshots`,
      enableKeyRotation: true,
      deletionWindowInDays: KEY_DELETION_WINDOW_DAYS,
      policy: Lazy.stringValue({ produce: () => JSON.stringify(this.policyDocument()) }),
      tags: { Name: resourceName(config, "cluster-secrets") },
    });
    this.aliasName = clusterKeyAlias(config);
    this.alias = new KmsAlias(this, "alias", { name: this.aliasName, targetKeyId: this.key.keyId });
    this.arn = this.key.arn;
  }

  /** The ARN of the SSM parameter with this name (names start with `/`). */
  parameterArn(name: string): string {
    return `arn:${this.partition}:ssm:${this.region}:${this.accountId}:parameter${name}`;
  }

  /** Lets `roleArn` decrypt, through SSM, exactly the named parameters. */
  allowParameterDecrypt(sid: string, roleArn: string, parameterNames: readonly string[]): void {
    this.addParameterGrant(sid, roleArn, ["kms:Decrypt"], parameterNames);
  }

  /** Lets `roleArn` write, through SSM, exactly the named SecureString parameters (standard tier: kms:Encrypt). */
  allowParameterEncrypt(sid: string, roleArn: string, parameterNames: readonly string[]): void {
    this.addParameterGrant(sid, roleArn, ["kms:Encrypt"], parameterNames);
  }

  /**
   * Lets `roleArn` use the key through S3 for objects matching `objectArnPattern`
   * (`arn:…:s3:::bucket/prefix/*`): the data-key actions S3 calls for PutObject
   * and multipart uploads under SSE-KMS. A bucket whose default encryption uses
   * an S3 Bucket Key makes S3 send the bucket's ARN instead: name it too then.
   */
  allowS3Objects(sid: string, roleArn: string, actions: readonly string[], objectArnPattern: string | readonly string[]): void {
    this.grants.push({
      Sid: sid,
      Effect: "Allow",
      Principal: { AWS: roleArn },
      Action: [...actions],
      Resource: "*",
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${this.region}.amazonaws.com` },
        StringLike: { [S3_CONTEXT_KEY]: typeof objectArnPattern === "string" ? objectArnPattern : [...objectArnPattern] },
      },
    });
  }

  private addParameterGrant(sid: string, roleArn: string, actions: string[], parameterNames: readonly string[]): void {
    if (parameterNames.length === 0) throw new Error(`key grant ${sid} names no parameter`);
    this.grants.push({
      Sid: sid,
      Effect: "Allow",
      Principal: { AWS: roleArn },
      Action: actions,
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:ViaService": `ssm.${this.region}.amazonaws.com`,
          [SSM_CONTEXT_KEY]: parameterNames.map((n) => this.parameterArn(n)),
        },
      },
    });
  }

  private policyDocument(): object {
    const sids = this.grants.map((g) => g.Sid);
    const duplicate = sids.find((s, i) => sids.indexOf(s) !== i);
    if (duplicate !== undefined) throw new Error(`two key grants named ${duplicate}`);
    return {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AccountAdministersKeyThroughIam",
          Effect: "Allow",
          Principal: { AWS: `arn:${this.partition}:iam::${this.accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        ...this.grants,
      ],
    };
  }
}
