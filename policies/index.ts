/**
 * The delivery-platform policy pack. Every policy defaults to advisory; each stack's committed
 * config (`policies/config/<stack>.json`) sets the enforcement: mandatory for prod, advisory for
 * dev and staging. Run with:
 *
 *   npx pulumi preview --stack prod --policy-pack policies --policy-pack-config policies/config/prod.json
 */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

new PolicyPack("delivery-platform", { policies: allPolicies() });
