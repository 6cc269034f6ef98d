/**
 * `npm run test:artillery`: installs Artillery into engines/artillery if it is not there yet,
 * then runs every test that needs it, the end-to-end `compare --engine artillery` included
 * (kept out of `npm test`: the install alone takes about a minute).
 */
import { spawnSync } from "node:child_process";
import { projectRoot } from "../components/bundle";
import { ensureArtillery } from "../compare/engines/artillery";

ensureArtillery((line) => console.error(line))
  .then(() => {
    const mocha = spawnSync(process.execPath, [require.resolve("mocha/bin/mocha.js"), "test/compare/artillery.test.ts", "test/compare/artillery.run.test.ts"], {
      cwd: projectRoot,
      stdio: "inherit",
      env: { ...process.env, PARITY_ARTILLERY_E2E: "1" },
    });
    process.exit(mocha.status ?? 1);
  })
  .catch((error) => {
    console.error((error as Error).message);
    process.exit(1);
  });
