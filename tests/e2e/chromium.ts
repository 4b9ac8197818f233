/**
 * How Petalflow's browser tests and the editor benchmark launch Chromium: Debian's own by default
 * (`PLAYWRIGHT_CHROMIUM_PATH` for another), headless, without a GPU or background network traffic.
 */
export const chromiumLaunchOptions = {
  executablePath: process.env.PLAYWRIGHT_CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};
