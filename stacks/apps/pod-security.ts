/**
 * The restricted Pod Security Standard, as pod and container settings: non-root,
 * no privilege escalation, no capabilities, the runtime's default seccomp profile.
 */
export function podSecurityContext(runAsUser: number) {
  return {
    runAsNonRoot: true,
    runAsUser: String(runAsUser),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function containerSecurityContext(runAsUser: number) {
  return {
    runAsNonRoot: true,
    runAsUser: String(runAsUser),
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** The unprivileged UID the fortio containers run as (a static binary that needs no account). */
export const FORTIO_UID = 65532;
