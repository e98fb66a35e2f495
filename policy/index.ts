import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, PACK_POLICIES } from "./policies";

/**
 * The pack's entry point, run by the Pulumi CLI (`pulumi preview|up
 * --policy-pack policy`). Constructing a PolicyPack starts the analyzer
 * server, so this file only constructs it; the rules live in modules the
 * tests import (docs/policy.md).
 */
new PolicyPack(PACK_NAME, {
  description: "Spive guardrails: CIS GKE and Google Cloud controls, Pod Security restricted and availability rules for every prod stack.",
  enforcementLevel: "mandatory",
  policies: PACK_POLICIES,
});
