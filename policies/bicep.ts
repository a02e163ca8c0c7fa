/** Bicep: production deploys incrementally with health checks, and nothing is deleted without a stated reason. */
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { TYPES, environmentOfGroup, ofType, productionFor } from "./lib";

/** A stack policy over the Bicep deployments into the production resource group. */
function prodDeploymentPolicy(
  name: string,
  description: string,
  problem: (props: Record<string, any>) => string | undefined,
  enforcementLevel: EnforcementLevel,
): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const production = productionFor(args.resources, reportViolation);
      if (!production) return;
      for (const d of ofType(args.resources, TYPES.bicepDeployment)) {
        // A deployment into a group the stack does not mark is production's too (fail closed).
        const env = environmentOfGroup(args.resources, d.props.resourceGroupName);
        if (env !== undefined && env !== production.environment) continue;
        const message = problem(d.props);
        if (message) reportViolation(message, d.urn);
      }
    },
  };
}

export function bicepProdIncrementalMode(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return prodDeploymentPolicy(
    "bicep-prod-incremental-mode",
    "Checks whether production's Bicep deployments run in Incremental mode (Complete mode deletes whatever the template omits).",
    (p) =>
      p.mode === "Incremental"
        ? undefined
        : `Bicep deployment "${p.name}" into production must use Incremental mode; found ${JSON.stringify(p.mode)}. Set environments[prod].bicep.mode to Incremental.`,
    enforcementLevel,
  );
}

export function bicepProdHealthVerification(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return prodDeploymentPolicy(
    "bicep-prod-health-verification",
    "Checks whether production's Bicep deployments verify the health of what they deployed.",
    (p) => (p.verifyHealth === true ? undefined : `Bicep deployment "${p.name}" into production must verify health after deploying; set environments[prod].bicep.verifyHealth to true.`),
    enforcementLevel,
  );
}

export function bicepDestructiveChangesNeedReason(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "bicep-destructive-changes-need-reason",
    description: "Checks whether a Bicep deployment whose what-if deletes resources carries an explicit allowDestructiveChanges reason.",
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      if (args.type !== TYPES.bicepDeployment) return;
      const destructive: unknown = args.props.plannedWhatIf?.destructive;
      if (!Array.isArray(destructive) || destructive.length === 0) return;
      const reason = args.props.allowDestructiveChanges?.reason;
      if (typeof reason === "string" && reason.trim().length > 0) return;
      const shown = destructive.slice(0, 5).join(", ");
      reportViolation(
        `Bicep deployment "${args.props.name}" would delete ${destructive.length} resource(s) (${shown}${destructive.length > 5 ? ", ..." : ""}); set bicep.allowDestructiveChanges.reason for this environment if that is intended, or change the template.`,
      );
    },
  };
}
