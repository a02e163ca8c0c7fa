// The Functions plan and app: Linux, HTTPS only, TLS 1.2, FTP and basic publishing credentials
// off, running as the user-assigned identity with identity-based connections to storage,
// Service Bus and Application Insights (no keys or connection strings with secrets).
param namePrefix string
param location string
param tags object

@allowed(['Y1', 'EP1', 'EP2', 'EP3'])
@description('Y1 is the consumption plan (dev); EP* are elastic premium (staging, prod).')
param planSku string

@minValue(1)
@maxValue(20)
@description('Always-ready instances on elastic premium.')
param minimumInstances int = 1

@description('Function runtime stack, e.g. DOTNET-ISOLATED|8.0 or NODE|20.')
param linuxFxVersion string

@description('Path the platform probes to take unhealthy instances out of rotation.')
param healthCheckPath string = '/api/health'

param identityId string
param identityClientId string
param storageAccountName string
param serviceBusNamespaceName string
param appInsightsConnectionString string
param keyVaultUri string
param workspaceId string

var elastic = startsWith(planSku, 'EP')

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: 'plan-${namePrefix}'
  location: location
  tags: tags
  kind: elastic ? 'elastic' : 'functionapp'
  sku: {
    name: planSku
    tier: elastic ? 'ElasticPremium' : 'Dynamic'
  }
  properties: {
    reserved: true
    maximumElasticWorkerCount: elastic ? 20 : null
    zoneRedundant: false
  }
}

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: 'func-${namePrefix}-${uniqueString(resourceGroup().id)}'
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: linuxFxVersion
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      healthCheckPath: healthCheckPath
      minimumElasticInstanceCount: elastic ? minimumInstances : 0
      appSettings: [
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'ServiceBus__fullyQualifiedNamespace', value: '${serviceBusNamespaceName}.servicebus.windows.net' }
        { name: 'ServiceBus__credential', value: 'managedidentity' }
        { name: 'ServiceBus__clientId', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        { name: 'KEY_VAULT_URI', value: keyVaultUri }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
      ]
    }
  }
}

resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: app
  properties: {
    workspaceId: workspaceId
    logs: [{ category: 'FunctionAppLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output appId string = app.id
output appName string = app.name
output defaultHostName string = app.properties.defaultHostName
