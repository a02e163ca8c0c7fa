// staging: production-like where it matters for testing (elastic premium plan, Premium
// Service Bus), cheaper where it does not (zone-redundant rather than geo-redundant storage).
using '../main.bicep'

param environmentName = 'staging'
param appName = 'payments'
param storageSku = 'Standard_ZRS'
param storageSoftDeleteDays = 14
param serviceBusSku = 'Premium'
param serviceBusCapacity = 1
param serviceBusQueues = ['orders', 'payments']
param serviceBusTopics = [
  { name: 'events', subscriptions: ['audit'] }
]
param functionPlanSku = 'EP1'
param functionMinimumInstances = 1
param logRetentionDays = 60
param keyVaultPurgeProtection = true
param keyVaultSoftDeleteDays = 30
param deployMachineLearning = false
