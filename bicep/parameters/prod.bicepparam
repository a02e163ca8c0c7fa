// prod: resilient. Elastic premium plan with two always-ready instances, geo-zone-redundant
// storage, Premium Service Bus (zone redundant), long retention, purge protection on.
using '../main.bicep'

param environmentName = 'prod'
param appName = 'payments'
param storageSku = 'Standard_GZRS'
param storageSoftDeleteDays = 30
param serviceBusSku = 'Premium'
param serviceBusCapacity = 2
param serviceBusQueues = ['orders', 'payments']
param serviceBusTopics = [
  { name: 'events', subscriptions: ['audit'] }
]
param functionPlanSku = 'EP2'
param functionMinimumInstances = 2
param logRetentionDays = 365
param keyVaultPurgeProtection = true
param keyVaultSoftDeleteDays = 90
param deployMachineLearning = false
