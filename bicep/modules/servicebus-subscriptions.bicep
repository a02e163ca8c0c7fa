// The subscriptions of one Service Bus topic (a module, because Bicep cannot nest loops).
param namespaceName string
param topicName string
param subscriptionNames array

resource topic 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' existing = {
  name: '${namespaceName}/${topicName}'
}

resource subscriptions 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = [for s in subscriptionNames: {
  parent: topic
  name: s
  properties: {
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
  }
}]
