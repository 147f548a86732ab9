/** One CLI command: its help text and what it does with its arguments. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Resolves with the process exit code. */
  run(args: string[]): Promise<number>;
}
