// dev: cheap. Consumption plan, locally redundant storage, Standard Service Bus, short retention,
// no purge protection (so a torn-down vault name can be reused).
using '../main.bicep'

param environmentName = 'dev'
param appName = 'payments'
param storageSku = 'Standard_LRS'
param storageSoftDeleteDays = 7
param serviceBusSku = 'Standard'
param serviceBusQueues = ['orders', 'payments']
param serviceBusTopics = [
  { name: 'events', subscriptions: ['audit'] }
]
param functionPlanSku = 'Y1'
param logRetentionDays = 30
param logDailyQuotaGb = 1
param keyVaultPurgeProtection = false
param keyVaultSoftDeleteDays = 7
param deployMachineLearning = false
