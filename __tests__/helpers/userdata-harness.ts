/**
 * Runs a node's bootstrap script end to end under bash, in a scratch root,
 * with every external command replaced by a recorder (userdata-harness/recorder.sh)
 * that logs its argv and answers like the real command.
 *
 * How the scratch root works: the script is run as rendered, except that an
 * absolute path under /etc, /var, /usr/local, /run, /opt, /root or /snap
 * outside a here-document body gets the scratch root in front of it. Bodies
 * of here-documents (the files the script writes: kubeadm YAML, systemd
 * units, the embedded helpers) are left as they are, so what lands on disk is
 * byte for byte what a node would get. This needs no privilege (no mount or
 * user namespace), so it runs the same as root in CI and on a laptop. The
 * scratch root is removed from everything read back (files, argv, output).
 *
 * PATH holds only the recorders and a short list of real, harmless tools
 * (coreutils, sed, grep, awk, openssl, ...). A command the harness does not
 * know is "command not found": it can never run for real on the test machine.
 * `sleep` is a shell function (through BASH_ENV) that logs the call and
 * advances bash's SECONDS instead of waiting, so deadlines built on SECONDS
 * behave as on a node, in milliseconds.
 *
 * To extend: give a scenario `ssm`, `imds`, `fail` entries or a `handlers`
 * entry (a bash fragment replacing the default handler of one command; it can
 * use the recorder's functions `fails KEY`, `installed PKG`, `opt NAME ARGS`,
 * and the variables K8S_ROOT, K8S_HARNESS, state, scenario). A new command the
 * scripts start to use goes into FAKED_COMMANDS and the recorder's `case`.
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Config } from "../../lib/config";
import { PORTS } from "../../lib/ports";
import { controlPlanePrivateIp, parameterNames } from "../../stacks/cluster/settings";

const RECORDER = path.join(__dirname, "userdata-harness", "recorder.sh");
const FIXTURES = path.join(__dirname, "..", "fixtures", "cluster");

/** Commands the bootstrap scripts run that must never run for real here. */
export const FAKED_COMMANDS = [
  "swapoff",
  "modprobe",
  "sysctl",
  "apt-get",
  "apt-mark",
  "systemctl",
  "chronyc",
  "containerd",
  "curl",
  "gpg",
  "snap",
  "aws",
  "kubeadm",
  "kubectl",
  "crictl",
  "hostname",
] as const;

/** Real tools the scripts (and the recorder) may use: they only read or write files they are given. */
export const REAL_TOOLS = [
  "bash", "cat", "install", "mktemp", "rm", "chmod", "sed", "grep", "head", "tail", "date", "sha256sum", "stat",
  "openssl", "cut", "paste", "mkdir", "tr", "ls", "cp", "mv", "dirname", "basename", "cmp", "awk", "ln", "env",
  "sort", "wc", "tee", "touch", "jq", "printf", "true", "false", "id",
] as const;

/** Top-level folders that move into the scratch root. */
const ROOTED = ["etc", "var", "usr/local", "run", "opt", "root", "snap"];

/** A bootstrap token (kubeadm's format, [a-z0-9]{6}.[a-z0-9]{16}) for the scenarios. */
export const EXAMPLE_JOIN_TOKEN = "abcdef.0123456789abcdef";
/** An Elastic IP address for examples (TEST-NET-3, RFC 5737). */
export const EXAMPLE_PUBLIC_IP = "203.0.113.10";

export interface Scenario {
  /** SSM parameter values by name; a name not here answers ParameterNotFound. */
  ssm?: Record<string, string>;
  /** Instance-metadata values by path under /latest/meta-data/. */
  imds?: Record<string, string>;
  /** How often each failure KEY (see recorder.sh) fails before succeeding; "always" never succeeds. */
  fail?: Record<string, number | "always">;
  /** host:port where the fake API server answers /livez. */
  apiServer?: string;
  /** PEM of the CA the fake API server's certificate chains to. */
  caCert?: string;
  /** Bash fragments replacing the default handler of a command. */
  handlers?: Record<string, string>;
  /** Extra environment for the script. */
  env?: Record<string, string>;
  /** What `kubectl get nodes -o json` and `aws ec2 describe-instances` print (JSON text). */
  nodesJson?: string;
  ec2Json?: string;
  /** Files present in the scratch root before the run (path → content). */
  files?: Record<string, string>;
  /** Packages already installed (for running a helper on a bootstrapped node); "aws-cli" is the snap's /snap/bin/aws. */
  packages?: string[];
}

export interface Call {
  readonly cmd: string;
  readonly args: readonly string[];
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every faked call (and every `sleep`) in order, scratch root removed from the args. */
  readonly calls: readonly Call[];
  /** The scratch root (for a tool that must read the files in place). */
  readonly root: string;
  /** A file's content as the node would have it, or undefined when absent. */
  file(p: string): string | undefined;
  /** A file's permission bits in octal ("644"), or undefined when absent. */
  mode(p: string): string | undefined;
  /** Lines of a recorder state file (modules, sysctls, packages, enabled, started, ...). */
  state(name: string): string[];
  /** A file the recorder kept when it was handed over (kubeadm-init.yaml, kubeadm-join.yaml). */
  captured(name: string): string | undefined;
  /** The SSM parameter values after the run (put-parameter changes them). */
  ssm(name: string): string | undefined;
  /** Index of the first call whose command line (cmd + args joined by spaces) starts with `prefix`; -1 if none. */
  indexOf(prefix: string): number;
  /** Every call whose command line starts with `prefix`. */
  callsTo(prefix: string): Call[];
}

/** Command line of a call as one string (for matching and messages). */
export function commandLine(c: Call): string {
  return [c.cmd, ...c.args].join(" ");
}

/**
 * The script with rooted absolute paths moved into `root`, here-document
 * bodies untouched. A here-doc ends at the line equal to its word, as bash
 * reads it (no `<<-` is used by the scripts; a quoted word is unquoted).
 */
export function rerootScript(script: string, root: string): string {
  const dirs = ROOTED.map((d) => d.replace("/", "\\/")).join("|");
  const pathRe = new RegExp(`(^|[\\s'"=<>(|;])\\/(${dirs})(?=\\/|$|[\\s'"])`, "g");
  const out: string[] = [];
  let terminator: string | null = null;
  for (const line of script.split("\n")) {
    if (terminator !== null) {
      out.push(line);
      if (line === terminator) terminator = null;
      continue;
    }
    const heredoc = /(?<!<)<<(?![<-])\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(line);
    out.push(line.replace(pathRe, (_m, before: string, dir: string) => `${before}${root}/${dir}`));
    if (heredoc) terminator = heredoc[2] as string;
  }
  if (terminator !== null) throw new Error(`here-document ${terminator} is never closed`);
  return out.join("\n");
}

/** A stand-in Secrets encryption key as Terraform's random_bytes gives it: 32 bytes, base64. */
export const EXAMPLE_SECRETS_ENCRYPTION_KEY = Buffer.alloc(32, 0x5a).toString("base64");

/** A stand-in service-account signing key (RSA, PEM): made once per test process, never stored. */
let exampleServiceAccountKey: string | undefined;
function serviceAccountKey(): string {
  exampleServiceAccountKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString().trimEnd();
  return exampleServiceAccountKey;
}

/** The issuer URL the cluster stack stores: the bucket's regional address. */
export const EXAMPLE_SERVICE_ACCOUNT_ISSUER_BUCKET = "k8s-mesh-oidc-20261202045900000000000001";

/** The SSM values, IMDS answers and API server a node of `config` finds in AWS when all is well. */
export function defaultScenario(config: Config): Required<Pick<Scenario, "ssm" | "imds" | "apiServer" | "caCert">> {
  const p = parameterNames(config);
  const caCert = readFileSync(path.join(FIXTURES, "ca-rsa.crt"), "utf8");
  return {
    ssm: {
      [p.caCert]: caCert.trimEnd(),
      [p.caKey]: "-----BEGIN PRIVATE KEY-----\n(test stand-in; never parsed by the bootstrap)\n-----END PRIVATE KEY-----",
      [p.joinToken]: EXAMPLE_JOIN_TOKEN,
      [p.controlPlanePublicIp]: EXAMPLE_PUBLIC_IP,
      [p.etcdBackupLocation]: `s3://example-etcd-backups/${config.name}/etcd/`,
      [p.secretsEncryptionKey]: EXAMPLE_SECRETS_ENCRYPTION_KEY,
      [p.serviceAccountKey]: serviceAccountKey(),
      [p.serviceAccountIssuer]: `https://${EXAMPLE_SERVICE_ACCOUNT_ISSUER_BUCKET}.s3.${config.region}.amazonaws.com`,
    },
    imds: {
      "local-ipv4": "10.0.1.10",
      "placement/availability-zone": `${config.region}a`,
      "instance-id": "i-0123456789abcdef0",
    },
    apiServer: `${controlPlanePrivateIp(config)}:${PORTS.kubeApiServer.port}`,
    caCert,
  };
}

function writeTree(base: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(base, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

function which(tool: string): string | null {
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    const p = path.join(dir, tool);
    if (existsSync(p)) return p;
  }
  return null;
}

/** A scratch root laid out like a fresh Ubuntu EC2 instance (the folders the bootstrap expects to exist). */
function makeRoot(root: string, scenario: Scenario): void {
  for (const d of ["etc/modules-load.d", "etc/sysctl.d", "etc/apt/sources.list.d", "etc/systemd/system", "usr/local/sbin", "usr/local/bin", "var/lib/etcd", "var/log", "tmp", "root", "run"]) {
    mkdirSync(path.join(root, d), { recursive: true });
  }
  writeTree(root, {
    // Ubuntu's cloud image fstab, plus the swap file line Ubuntu's installer writes (so swap handling is exercised).
    "etc/fstab": "LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,commit=30,errors=remount-ro\t0 1\nLABEL=UEFI\t/boot/efi\tvfat\tumask=0077\t0 1\n/swap.img\tnone\tswap\tsw\t0\t0\n",
    ...scenario.files,
  });
}

/**
 * Runs `script` (a rendered bootstrap or helper) in a fresh scratch root.
 * `scenario` says what AWS and the machine answer; defaults to nothing (add
 * `defaultScenario(config)` for a node of a cluster).
 */
export function runBootstrap(script: string, scenario: Scenario = {}): Run {
  const base = mkdtempSync(path.join(tmpdir(), "userdata-run-"));
  const root = path.join(base, "root");
  const harness = path.join(base, "harness");
  const bin = path.join(harness, "bin");
  for (const d of [root, bin, `${harness}/state/captured`, `${harness}/scenario/ssm`, `${harness}/scenario/imds`, `${harness}/scenario/fail`, `${harness}/handlers`]) {
    mkdirSync(d, { recursive: true });
  }
  makeRoot(root, scenario);

  for (const cmd of FAKED_COMMANDS) symlinkSync(RECORDER, path.join(bin, cmd));
  for (const tool of REAL_TOOLS) {
    const p = which(tool);
    if (p && !existsSync(path.join(bin, tool))) symlinkSync(p, path.join(bin, tool));
  }
  const key = (name: string) => name.replace(/\//g, "%");
  for (const [name, value] of Object.entries(scenario.ssm ?? {})) writeFileSync(path.join(harness, "scenario/ssm", key(name)), value);
  for (const [name, value] of Object.entries(scenario.imds ?? {})) writeFileSync(path.join(harness, "scenario/imds", key(name)), value);
  for (const [name, n] of Object.entries(scenario.fail ?? {})) writeFileSync(path.join(harness, "scenario/fail", key(name)), String(n));
  if (scenario.apiServer) writeFileSync(path.join(harness, "scenario/api-server"), scenario.apiServer);
  if (scenario.nodesJson !== undefined) writeFileSync(path.join(harness, "scenario/nodes.json"), scenario.nodesJson);
  if (scenario.ec2Json !== undefined) writeFileSync(path.join(harness, "scenario/ec2.json"), scenario.ec2Json);
  if (scenario.caCert) writeFileSync(path.join(harness, "scenario/ca.crt"), scenario.caCert);
  for (const [name, body] of Object.entries(scenario.handlers ?? {})) writeFileSync(path.join(harness, "handlers", name), body);
  writeFileSync(path.join(harness, "state/packages"), (scenario.packages ?? []).map((p) => `${p}\n`).join(""));
  if (scenario.packages?.includes("aws-cli")) {
    mkdirSync(path.join(root, "snap/bin"), { recursive: true });
    symlinkSync(path.join(bin, "aws"), path.join(root, "snap/bin/aws"));
  }
  writeFileSync(path.join(harness, "calls.log"), "");

  // sleep: logged (one append per record, as the recorder does), and bash's clock moves on instead of the test waiting.
  const bashEnv = path.join(harness, "bash-env");
  writeFileSync(
    bashEnv,
    [
      "sleep() {",
      "  local rec",
      `  printf -v rec '%s\\x1f' sleep "$@"`,
      `  printf '%s\\x1e' "\${rec}" >>"${harness}/calls.log"`,
      '  local s="${1%s}"',
      "  SECONDS=$((SECONDS + s))",
      "}",
      "",
    ].join("\n"),
  );

  const file = path.join(base, "user-data");
  writeFileSync(file, rerootScript(script, root));
  chmodSync(file, 0o755);
  const r = spawnSync("/bin/bash", [file], {
    cwd: root,
    encoding: "utf8",
    timeout: 30_000,
    env: {
      PATH: bin,
      HOME: `${root}/root`,
      TMPDIR: `${root}/tmp`,
      LANG: "C.UTF-8",
      BASH_ENV: bashEnv,
      K8S_ROOT: root,
      K8S_HARNESS: harness,
      // `openssl x509` (OpenSSL 3.0) loads the system CA bundle on every call; the scripts only read
      // certificates with it (hashes, dates), which needs no trust store.
      SSL_CERT_FILE: "/dev/null",
      ...scenario.env,
    },
  });
  if (r.error) throw r.error;

  const unroot = (s: string) => s.split(root).join("");
  const calls: Call[] = readFileSync(path.join(harness, "calls.log"), "utf8")
    .split("\x1e")
    .filter((rec) => rec.length > 0)
    .map((rec) => {
      const parts = rec.split("\x1f").slice(0, -1).map(unroot);
      return { cmd: parts[0] as string, args: parts.slice(1) };
    });
  const read = (p: string) => (existsSync(p) ? readFileSync(p, "utf8") : undefined);
  return {
    status: r.status,
    stdout: unroot(r.stdout),
    stderr: unroot(r.stderr),
    calls,
    root,
    file: (p) => {
      const v = read(path.join(root, p));
      return v === undefined ? undefined : unroot(v);
    },
    mode: (p) => (existsSync(path.join(root, p)) ? (statSync(path.join(root, p)).mode & 0o7777).toString(8) : undefined),
    state: (name) => (read(path.join(harness, "state", name)) ?? "").split("\n").filter((l) => l.length > 0),
    captured: (name) => read(path.join(harness, "state/captured", name)),
    ssm: (name) => read(path.join(harness, "scenario/ssm", key(name))),
    indexOf: (prefix) => calls.findIndex((c) => commandLine(c).startsWith(prefix)),
    callsTo: (prefix) => calls.filter((c) => commandLine(c).startsWith(prefix)),
  };
}

/**
 * `systemd-analyze verify` on units the run wrote, in its scratch root
 * (against the test machine's own system units for targets like
 * timers.target). Returns its combined output: empty means no finding.
 */
export function verifyUnits(systemdAnalyze: string, run: Run, units: readonly string[]): { status: number | null; output: string } {
  const systemUnits = path.join(run.root, "usr/lib/systemd/system");
  if (!existsSync(systemUnits)) {
    const host = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((d) => existsSync(path.join(d, "timers.target")));
    if (!host) throw new Error("no system unit folder with timers.target on this machine (install Debian's systemd package)");
    // A copy (symlinks kept as they are): the host's absolute links then resolve inside the scratch root.
    mkdirSync(systemUnits, { recursive: true });
    const cp = spawnSync("cp", ["-a", `${host}/.`, systemUnits]);
    if (cp.status !== 0) throw new Error(`copying ${host}: ${cp.stderr}`);
  }
  const r = spawnSync(systemdAnalyze, ["verify", `--root=${run.root}`, ...units], { encoding: "utf8", env: { PATH: process.env.PATH, SYSTEMD_LOG_COLOR: "0" } });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.split(run.root).join("") };
}
