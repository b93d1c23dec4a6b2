/** Every check, in the order they run (prerequisites before the checks that need them). */
import type { Check } from "../types";
import { productpageCheck } from "./bookinfo";
import { apiCheck, certificatesCheck, controlPlaneCheck, kubeletCheck, meshedCheck, nodesCheck, podsCheck } from "./cluster";
import { dashboardsCheck, grafanaHealthCheck, grafanaLoginCheck, panelsCheck } from "./grafana";
import { alertsCheck, freshnessCheck, mtlsCheck, prometheusCheck, rulesCheck } from "./mesh";
import { logsCheck, traceCheck } from "./observability";

export const CHECKS: readonly Check[] = [
  apiCheck,
  nodesCheck,
  kubeletCheck,
  podsCheck,
  controlPlaneCheck,
  certificatesCheck,
  meshedCheck,
  prometheusCheck,
  mtlsCheck,
  freshnessCheck,
  rulesCheck,
  alertsCheck,
  grafanaHealthCheck,
  grafanaLoginCheck,
  dashboardsCheck,
  panelsCheck,
  productpageCheck,
  traceCheck,
  logsCheck,
];
