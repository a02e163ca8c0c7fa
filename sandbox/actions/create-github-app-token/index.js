"use strict";
const { input, fail, info, setOutput, setSecret } = require(`${process.env.DELIVERY_RUNNER_STANDINS}/lib/standin.js`);

async function main() {
  input("app-id", { required: true });
  const key = input("private-key", { required: true });
  const permissions = {};
  for (const [name, value] of Object.entries(process.env)) {
    const m = /^INPUT_PERMISSION-(.+)$/.exec(name);
    if (m && value) permissions[m[1].toLowerCase().replace(/-/g, "_")] = value;
  }
  const api = process.env.GITHUB_API_URL;
  const res = await fetch(`${api}/app/installations/1/access_tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ repositories: [process.env.GITHUB_REPOSITORY.split("/")[1]], permissions }),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status !== 201 || !body.token) fail(`Failed to create token for "${process.env.GITHUB_REPOSITORY}" (HTTP ${res.status}: ${body.message ?? "no token"})`);
  setSecret(body.token);
  setOutput("token", body.token);
  info(`Created an installation token with ${JSON.stringify(permissions)}`);
}
main().catch((err) => fail(err.message));
