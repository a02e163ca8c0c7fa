// The Service Bus namespace with its queues and topics: Entra ID only (local SAS auth disabled),
// TLS 1.2, logs to Log Analytics. Premium (prod) is zone redundant and isolated.
param namePrefix string
param location string
param tags object

@allowed(['Standard', 'Premium'])
param skuName string

@minValue(1)
@description('Messaging units (Premium only).')
param capacity int = 1

@description('Queue names.')
param queues array

@description('Topics: [{ name, subscriptions: [names] }].')
param topics array

param workspaceId string

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: 'sb-${namePrefix}-${uniqueString(resourceGroup().id)}'
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
    capacity: skuName == 'Premium' ? capacity : null
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    zoneRedundant: skuName == 'Premium'
  }
}

resource queueResources 'Microsoft.ServiceBus/namespaces/queues@2022-10-01-preview' = [for q in queues: {
  parent: namespace
  name: q
  properties: {
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
    lockDuration: 'PT1M'
  }
}]

resource topicResources 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = [for t in topics: {
  parent: namespace
  name: t.name
  properties: {
    defaultMessageTimeToLive: 'P14D'
  }
}]

module subscriptions 'servicebus-subscriptions.bicep' = [for (t, i) in topics: {
  name: 'sbsub-${i}-${uniqueString(t.name)}'
  params: {
    namespaceName: namespace.name
    topicName: topicResources[i].name
    subscriptionNames: t.subscriptions
  }
}]

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: namespace
  properties: {
    workspaceId: workspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

output id string = namespace.id
output name string = namespace.name
output endpoint string = namespace.properties.serviceBusEndpoint
