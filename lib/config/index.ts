export { DEFAULT_CONFIG } from "./defaults";
export type { RawConfig } from "./defaults";
export { configSchema, crossFieldProblems, durationSeconds } from "./schema";
export type { Config } from "./schema";
export { ConfigError, CONTEXT_KEY, ENV_PREFIX, envName, isCdktfContextKey, LEGACY_ENV_PREFIX, loadConfig, settingPaths } from "./load";
export { cidrContains, cidrHost, cidrsOverlap, isCanonicalCidr } from "./cidr";
