import { existsSync } from "node:fs";
import { lstat, mkdir, realpath, rm, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** The root's folder of mount tables (see confinementTableFile). */
const TABLES_FOLDER = ".confinement";

/** A request the caller got wrong: the server answers it with 400 and this message. */
export class BadRequestError extends Error {}

/**
 * One directory per sandbox under the root. Ids are validated before they get here; the
 * checks below still make sure no path leaves the root, whatever a command did on disk
 * (a symlink planted by a command must not move the next command elsewhere).
 */
export class SandboxDirs {
  private constructor(
    private readonly root: string,
    /**
     * What a command must not see (where the host can hide it): the folder holding the sandbox
     * root (the local stack's data: keys, database, the emulators' state) and the project
     * checkout the host runs in (`.dev.vars`), only where two levels deep or more, never `/`;
     * and the root's mount tables (confinementTableFile) where the first does not hide them.
     */
    readonly hidden: string[],
  ) {}

  /** Creates the root if needed and keeps its real path, so later comparisons see through symlinks. */
  static async open(rootDir: string): Promise<SandboxDirs> {
    await mkdir(rootDir, { recursive: true });
    const root = await realpath(rootDir);
    const checkout = existsSync(join(process.cwd(), "package.json")) ? [await realpath(process.cwd())] : [];
    const candidates = [...new Set([dirname(root), ...checkout])].filter(
      (dir) => dir.split(sep).filter(Boolean).length >= 2,
    );
    // A folder inside another one to hide is hidden with it (and could not be mounted over then).
    const hidden = candidates.filter((dir) => !candidates.some((outer) => dir.startsWith(outer + sep)));
    // The mount tables must never be a command's to read or change: hidden with the root's
    // parent, or on their own where that is too near `/` to hide.
    const tables = join(root, TABLES_FOLDER);
    const tablesHidden = hidden.some((dir) => tables.startsWith(dir + sep));
    return new SandboxDirs(root, tablesHidden ? hidden : [...hidden, tables]);
  }

  private pathOf(id: string): string {
    const dir = join(this.root, id);
    if (relative(this.root, dir) !== id) throw new BadRequestError("sandbox id escapes the sandbox root");
    return dir;
  }

  /** The sandbox's directory, created on first use. */
  async ensure(id: string): Promise<string> {
    const dir = this.pathOf(id);
    await mkdir(dir, { recursive: true });
    const info = await lstat(dir);
    if (!info.isDirectory()) throw new BadRequestError(`sandbox ${id} is not a plain directory`);
    return dir;
  }

  /**
   * The real directory a command should run in. `cwd` is relative to the sandbox; `..`
   * segments and absolute paths are refused outright, and a symlink that resolves outside
   * the sandbox is refused after resolving.
   */
  async resolveCwd(sandboxDir: string, cwd: string | undefined): Promise<string> {
    if (cwd === undefined) return sandboxDir;
    if (isAbsolute(cwd)) throw new BadRequestError("cwd must be relative to the sandbox directory");
    if (cwd.split(/[\\/]/).includes("..")) throw new BadRequestError("cwd must not contain '..'");
    let real: string;
    try {
      real = await realpath(resolve(sandboxDir, cwd));
    } catch {
      throw new BadRequestError("cwd does not exist in the sandbox");
    }
    if (real !== sandboxDir && !real.startsWith(sandboxDir + sep)) {
      throw new BadRequestError("cwd leads out of the sandbox directory");
    }
    if (!(await stat(real)).isDirectory()) throw new BadRequestError("cwd is not a directory");
    return real;
  }

  /**
   * Where the sandbox's mount table for confined commands is kept (run-command.ts): in the root
   * but outside every sandbox (an id starts with a letter or digit), in a folder `hidden`
   * covers, so no command can read or change one.
   */
  confinementTableFile(id: string): string {
    return join(this.root, TABLES_FOLDER, `${basename(this.pathOf(id))}.fstab`);
  }

  /** Removes the sandbox and everything in it; a missing one is already removed. */
  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { recursive: true, force: true });
  }
}
