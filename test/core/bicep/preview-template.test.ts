import { subscriptionPreviewTemplate } from "../../../core/bicep/deploy";

describe("the subscription-scope template that previews a first deployment", () => {
  const built = {
    parametersJson: JSON.stringify({ parameters: { environmentName: { value: "dev" }, storageSoftDeleteDays: { value: 7 } } }),
    templateJson: JSON.stringify({ $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", resources: [{ type: "Microsoft.Storage/storageAccounts" }] }),
  };

  it("creates the group and deploys the compiled template into it, with the parameters and overrides", () => {
    const t = subscriptionPreviewTemplate({ resourceGroupName: "rg-payments-dev", location: "westeurope", mode: "Incremental", overrides: { storageSoftDeleteDays: 14 } }, "delivery-dev-0123456789ab", built);
    expect(t.$schema).toBe("https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#");
    const [group, deployment] = t.resources as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(group).toMatchObject({ type: "Microsoft.Resources/resourceGroups", name: "rg-payments-dev", location: "westeurope" });
    expect(deployment).toMatchObject({
      type: "Microsoft.Resources/deployments",
      name: "delivery-dev-0123456789ab",
      resourceGroup: "rg-payments-dev",
      dependsOn: ["[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg-payments-dev')]"],
      properties: {
        mode: "Incremental",
        expressionEvaluationOptions: { scope: "inner" },
        template: JSON.parse(built.templateJson),
        parameters: { environmentName: { value: "dev" }, storageSoftDeleteDays: { value: 14 } },
      },
    });
  });

  it("says what is wrong with what build-params printed", () => {
    expect(() => subscriptionPreviewTemplate({ resourceGroupName: "rg", location: "westeurope", mode: "Incremental", overrides: {} }, "d", { ...built, templateJson: "{" })).toThrow(
      /^az bicep build-params printed a templateJson or parametersJson that is not JSON \(/,
    );
  });
});
