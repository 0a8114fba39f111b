// Polls while something is still moving, and stops once it settles or the page is left.
export function poll(step, { every = 1000 } = {}) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    timer = null;
    if (stopped) return;
    let again = false;
    try {
      again = await step();
    } catch {
      again = true; // a missed answer is not the end: ask again next time
    }
    if (again && !stopped && timer === null) timer = setTimeout(run, every);
  };
  return {
    wake() {
      if (timer === null && !stopped) timer = setTimeout(run, every);
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}
