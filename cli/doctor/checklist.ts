import { awsProblem } from '../aws';

/** ok: nothing to do; warn: works, but see the sentence; fail: fix it; skip: not run, and why. */
export type Status = 'ok' | 'warn' | 'fail' | 'skip';

/** What a check found, in one sentence: what is wrong and what to do, or what it saw. */
export interface Finding {
  status: Status;
  say: string;
}

export interface Check {
  name: string;
  /** Checks whose failure leaves this one nothing to look at: it is then skipped, saying which. */
  needs?: string[];
  run: () => Promise<Finding>;
}

export const ok = (say: string): Finding => ({ status: 'ok', say });
export const warn = (say: string): Finding => ({ status: 'warn', say });
export const fail = (say: string): Finding => ({ status: 'fail', say });
export const skip = (say: string): Finding => ({ status: 'skip', say });

const LABEL: Record<Status, string> = { ok: 'ok', warn: 'warn', fail: 'FAIL', skip: 'skip' };

/**
 * Runs the checks in order and prints a line for each as it ends. A check that throws fails with
 * the error's sentence (never its stack); one whose prerequisite failed or was skipped for that is
 * skipped.
 */
export async function runChecklist(checks: Check[], log: (line: string) => void) {
  const width = Math.max(...checks.map((check) => check.name.length));
  const blocked = new Set<string>();
  const findings: (Finding & { name: string })[] = [];
  for (const check of checks) {
    const blocker = check.needs?.find((name) => blocked.has(name));
    let finding: Finding;
    if (blocker) finding = skip(`not checked: it needs the ${blocker} check, which did not pass`);
    else {
      try {
        finding = await check.run();
      } catch (error) {
        finding = fail(awsProblem(error) ?? (error as Error).message);
      }
    }
    if (finding.status === 'fail' || blocker) blocked.add(check.name);
    findings.push({ ...finding, name: check.name });
    log(`  ${LABEL[finding.status].padEnd(4)}  ${check.name.padEnd(width)}  ${finding.say}`);
  }
  const count = (status: Status) => findings.filter((finding) => finding.status === status).length;
  return { findings, failed: count('fail'), warned: count('warn') };
}
