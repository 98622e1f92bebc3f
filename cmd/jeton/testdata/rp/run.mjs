// The openid-client v6 harness (rp_test.go): `node run.mjs <scenario>` runs
// scenarios/<scenario>.mjs against the live jeton serve that JETON_RP (JSON) describes,
// and prints the scenario's result as one JSON line for the Go test to check. A
// scenario is a file exporting `default async function (env)`; add one to add a flow.
const name = process.argv[2];
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: node run.mjs <scenario>');
  process.exit(2);
}
const env = JSON.parse(process.env.JETON_RP ?? '{}');
try {
  const scenario = await import(`./scenarios/${name}.mjs`);
  const result = await scenario.default(env);
  console.log(JSON.stringify(result));
} catch (err) {
  console.error(`scenario ${name} failed:`, err?.stack ?? err, err?.cause ?? '');
  process.exit(1);
}
