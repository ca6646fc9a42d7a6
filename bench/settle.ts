// Waits for chromium to finish its own work before a page load is timed. A new browser context
// opens a new window, and headless chromium then builds that window's WebUI (its address bar's
// suggestion popup): about 2 s of CPU on this 2-core machine, most of it in the first second.
// A reader's browser has its window up before they open our page; a load timed at once
// measured chromium's start-up beside ours (first scenes at 1.3–1.6 s against 0.6–0.8 s).

import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICK_MS = 10; // Linux's USER_HZ is 100
const WINDOW_MS = 300;
/** Settled: chromium's processes used at most this share of one core over the last window. */
const IDLE_SHARE = 0.05;

/** CPU milliseconds used so far by every running chromium process (null where /proc is missing). */
function chromiumCpuMs(): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // it ended meanwhile
    }
    const close = stat.lastIndexOf(')');
    if (!/chrom/i.test(stat.slice(stat.indexOf('(') + 1, close))) continue;
    const fields = stat.slice(close + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime and stime: fields 14 and 15 of stat
  }
  return ticks * CLOCK_TICK_MS;
}

/**
 * Resolves once chromium has been idle for a window (or after `limitMs`), with the
 * milliseconds waited; -1 where processes cannot be read (not Linux), after waiting `limitMs`.
 */
export async function chromiumSettled(limitMs = 8000): Promise<number> {
  const started = Date.now();
  let before = chromiumCpuMs();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const after = chromiumCpuMs();
    const waited = Date.now() - started;
    if (before === null || after === null) {
      if (waited >= limitMs) return -1;
      continue;
    }
    if (after - before <= IDLE_SHARE * WINDOW_MS || waited >= limitMs) return waited;
    before = after;
  }
}
