/**
 * `npm run smoke -- <origin> [--client-id <id> --refresh-token <token>] [--write]`: checks a live
 * deployment as far as a script can without a person (scripts/smoke/checks.ts), one line per
 * check. Exit code 0 when every check passed, 1 when one failed, 2 on wrong arguments.
 */
import { runSmoke } from "./smoke/checks";
import { readOptions } from "./smoke/options";

let options: ReturnType<typeof readOptions>;
try {
  options = readOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
const passed = await runSmoke(options, (line) => console.log(line));
console.log(passed ? `smoke: ${options.origin} passed` : `smoke: ${options.origin} FAILED`);
process.exit(passed ? 0 : 1);
