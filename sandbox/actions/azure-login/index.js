"use strict";
const { input, fail, info, oidcSubject, cloud, exportVariable } = require(`${process.env.DELIVERY_RUNNER_STANDINS}/lib/standin.js`);

const ISSUER = "https://token.actions.githubusercontent.com";
const AUDIENCE = "api://AzureADTokenExchange";

const clientId = input("client-id");
const tenantId = input("tenant-id");
const subscriptionId = input("subscription-id");
if (!clientId || !tenantId) {
  fail("Using auth-type: SERVICE_PRINCIPAL. Not all values are present. Ensure 'client-id' and 'tenant-id' are supplied.");
}
const subject = oidcSubject();
const resources = cloud("azure-native");
const identity = resources.find((r) => r.type === "azure-native:managedidentity:UserAssignedIdentity" && r.outputs?.clientId === clientId);
if (!identity) {
  fail(`AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`);
}
if (identity.outputs.tenantId && identity.outputs.tenantId !== tenantId) {
  fail(`AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenantId}' (the identity is in ${identity.outputs.tenantId}).`);
}
const credentials = resources.filter((r) => r.type === "azure-native:managedidentity:FederatedIdentityCredential" && r.id.startsWith(`${identity.id}/federatedIdentityCredentials/`));
const trusted = credentials.find((c) => c.inputs.issuer === ISSUER && (c.inputs.audiences ?? []).includes(AUDIENCE) && c.inputs.subject === subject);
if (!trusted) {
  const known = credentials.map((c) => c.inputs.subject).join(", ") || "none";
  fail(
    `AADSTS70021: No matching federated identity record found for presented assertion subject '${subject}'. ` +
      `Identity ${identity.outputs.name} trusts: ${known}.`,
  );
}
info(`Federated token details: issuer - ${ISSUER}, subject claim - ${subject}, audience - ${AUDIENCE}`);
info(`Login successful as ${identity.outputs.name} (federated credential ${trusted.outputs?.name ?? trusted.inputs.federatedIdentityCredentialResourceName}).`);
// What `az login --federated-token` leaves behind for later steps: the signed-in client.
exportVariable("AZURE_CLIENT_ID", clientId);
exportVariable("AZURE_TENANT_ID", tenantId);
if (subscriptionId) exportVariable("AZURE_SUBSCRIPTION_ID", subscriptionId);
exportVariable("DELIVERY_SANDBOX_AZURE_LOGIN", identity.outputs.name);
