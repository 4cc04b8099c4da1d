import type { ChildProcess } from 'node:child_process';

/** SIGTERM, then wait for the process to exit; a process that already exited is left alone. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
