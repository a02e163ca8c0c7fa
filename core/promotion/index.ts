/** The promotion machine (seed 002): facts, the pure machine, rendering, and the GitHub adapters. */
export * from "./facts";
export * from "./machine";
export * from "./render";
export { collectPromotionFacts, collectPullRequests, collectFailureIssues, isPlatformDeployment, isReviewer, type CollectOptions, type PromotionClient, type RepoRef } from "./github-facts";
export { performActions, planRequest, failureIssueBody, deploymentRecord, recordDeploymentStart, recordDeploymentFinish, reportValidation, type ActClient, type ActOptions, type ActResult, type PlannedRequest } from "./github-act";
