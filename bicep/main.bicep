// The application environment one delivery-platform stack deploys into its resource group:
// monitoring, storage, Service Bus, Key Vault, a workload identity, the Functions app, optional
// Azure Machine Learning, and the role assignments that let the identity use them.
// Parameters differ per environment in parameters/<env>.bicepparam: dev is cheap, prod resilient.
targetScope = 'resourceGroup'

@allowed(['dev', 'staging', 'prod'])
@description('The environment, used in names and tags.')
param environmentName string

@minLength(2)
@maxLength(12)
@description('Short application name used in resource names (lower case letters, digits, hyphens).')
param appName string

@description('Region; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Tags every resource carries, in addition to environment and managed-by.')
param tags object = {}

@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
param storageSku string

@minValue(1)
@maxValue(365)
param storageSoftDeleteDays int

@allowed(['Standard', 'Premium'])
param serviceBusSku string

@minValue(1)
param serviceBusCapacity int = 1

@description('Queue names.')
param serviceBusQueues array = []

@description('Topics: [{ name, subscriptions: [names] }].')
param serviceBusTopics array = []

@allowed(['Y1', 'EP1', 'EP2', 'EP3'])
param functionPlanSku string

@minValue(1)
@maxValue(20)
param functionMinimumInstances int = 1

param functionRuntime string = 'DOTNET-ISOLATED|8.0'

@minValue(30)
@maxValue(730)
param logRetentionDays int

param logDailyQuotaGb int = -1

param keyVaultPurgeProtection bool

@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteDays int

@description('Deploy an Azure Machine Learning workspace.')
param deployMachineLearning bool = false

var namePrefix = '${appName}-${environmentName}'
var allTags = union(tags, { environment: environmentName, 'managed-by': 'delivery-platform' })

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: namePrefix
    location: location
    tags: allTags
    retentionInDays: logRetentionDays
    dailyQuotaGb: logDailyQuotaGb
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${namePrefix}'
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    namePrefix: namePrefix
    location: location
    tags: allTags
    skuName: storageSku
    softDeleteDays: storageSoftDeleteDays
    workspaceId: monitoring.outputs.workspaceId
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    namePrefix: namePrefix
    location: location
    tags: allTags
    skuName: serviceBusSku
    capacity: serviceBusCapacity
    queues: serviceBusQueues
    topics: serviceBusTopics
    workspaceId: monitoring.outputs.workspaceId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    namePrefix: namePrefix
    location: location
    tags: allTags
    enablePurgeProtection: keyVaultPurgeProtection
    softDeleteRetentionInDays: keyVaultSoftDeleteDays
    workspaceId: monitoring.outputs.workspaceId
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module compute 'modules/compute.bicep' = {
  name: 'compute'
  params: {
    namePrefix: namePrefix
    location: location
    tags: allTags
    planSku: functionPlanSku
    minimumInstances: functionMinimumInstances
    linuxFxVersion: functionRuntime
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    keyVaultUri: keyVault.outputs.uri
    workspaceId: monitoring.outputs.workspaceId
  }
  // The app's identity-based connections need the role assignments first.
  dependsOn: [rbac]
}

module machineLearning 'modules/machinelearning.bicep' = if (deployMachineLearning) {
  name: 'machinelearning'
  params: {
    namePrefix: namePrefix
    location: location
    tags: allTags
    storageAccountId: storage.outputs.id
    keyVaultId: keyVault.outputs.id
    appInsightsId: monitoring.outputs.appInsightsId
    workspaceId: monitoring.outputs.workspaceId
  }
}

output functionAppName string = compute.outputs.appName
output functionAppHostName string = compute.outputs.defaultHostName
output storageAccountName string = storage.outputs.name
output serviceBusNamespace string = serviceBus.outputs.name
output keyVaultUri string = keyVault.outputs.uri
output identityClientId string = identity.outputs.clientId
output logAnalyticsWorkspaceId string = monitoring.outputs.workspaceId
