// Optional Azure Machine Learning workspace (deployMachineLearning), wired to the shared storage,
// Key Vault and Application Insights, with its own system identity and no public network access
// from the internet unless asked.
param namePrefix string
param location string
param tags object
param storageAccountId string
param keyVaultId string
param appInsightsId string
param workspaceId string

@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {
  name: 'mlw-${namePrefix}'
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  sku: { name: 'Basic', tier: 'Basic' }
  properties: {
    friendlyName: 'mlw-${namePrefix}'
    storageAccount: storageAccountId
    keyVault: keyVaultId
    applicationInsights: appInsightsId
    publicNetworkAccess: publicNetworkAccess
    v1LegacyMode: false
    // The shared storage account has shared keys disabled, so datastores use identities.
    systemDatastoresAuthMode: 'identity'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: workspace
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

output id string = workspace.id
output principalId string = workspace.identity.principalId
