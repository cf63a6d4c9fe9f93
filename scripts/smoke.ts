/**
 * `npm run smoke -- <origin> [--client-id <id> --refresh-token <token>] [--write]`: checks a live
 * deployment as far as a script can without a person (scripts/smoke/checks.ts), one line per
 * check; `--authorize` instead gets a test account's first refresh token (scripts/smoke/authorize.ts).
 * Exit code 0 when every check passed, 1 when one failed, 2 on wrong arguments.
 */
import { authorizeTestAccount } from "./smoke/authorize";
import { runSmoke } from "./smoke/checks";
import { readOptions, type SmokeOptions } from "./smoke/options";

let options: SmokeOptions;
try {
  options = readOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
const print = (line: string) => console.log(line);
if (options.authorize) {
  process.exit((await authorizeTestAccount(options.origin, print)) ? 0 : 1);
}
const passed = await runSmoke(options, print);
console.log(passed ? `smoke: ${options.origin} passed` : `smoke: ${options.origin} FAILED`);
process.exit(passed ? 0 : 1);
