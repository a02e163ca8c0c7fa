import { BUILT_IN_ROLES, TEMPLATE_ASSIGNABLE_ROLES, constrainedDelegationCondition, deterministicGuid } from "../../core/azure-roles";

describe("constrainedDelegationCondition", () => {
  it("limits writes and deletes of role assignments to the listed roles", () => {
    const condition = constrainedDelegationCondition([BUILT_IN_ROLES.keyVaultSecretsUser, BUILT_IN_ROLES.serviceBusDataSender]);
    expect(condition).toBe(
      "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {4633458b-17de-408a-b874-0445c86b69e6, 69a216fc-b8fb-44d8-bc22-1f3c2cd27a39}))" +
        " AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {4633458b-17de-408a-b874-0445c86b69e6, 69a216fc-b8fb-44d8-bc22-1f3c2cd27a39}))",
    );
  });

  it("refuses to delegate privileged roles", () => {
    expect(() => constrainedDelegationCondition([BUILT_IN_ROLES.contributor])).toThrow(
      "roles Contributor must not be delegable: a deploy identity that can grant them could escalate its own access",
    );
  });

  it("delegates only data-plane roles by default", () => {
    expect(TEMPLATE_ASSIGNABLE_ROLES.map((r) => r.name)).not.toContain("Owner");
    expect(() => constrainedDelegationCondition(TEMPLATE_ASSIGNABLE_ROLES)).not.toThrow();
  });
});

describe("deterministicGuid", () => {
  it("is a stable, well-formed GUID", () => {
    const a = deterministicGuid("scope", "role");
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicGuid("scope", "role")).toBe(a);
    expect(deterministicGuid("scope", "other")).not.toBe(a);
  });
});
