/**
 * GitHub account logins, one rule for every command that takes one: a user or organisation login
 * (1-39 characters, letters, digits and single inner hyphens), or an App's bot account, which
 * GitHub spells `<app-slug>[bot]` (e.g. `github-actions[bot]`, which dispatches the automatic
 * rollbacks).
 */
const USER_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const BOT_LOGIN = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,33}\[bot\]$/;

/** A person's (or organisation's) login. */
export function isUserLogin(login: string): boolean {
  return USER_LOGIN.test(login);
}

/** An App's bot account (`name[bot]`). */
export function isBotLogin(login: string): boolean {
  return BOT_LOGIN.test(login);
}

/** Any account that can act on a repository: a user or an App's bot. */
export function isAccountLogin(login: string): boolean {
  return isUserLogin(login) || isBotLogin(login);
}
