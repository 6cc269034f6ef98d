/**
 * `npm run choose`: a reasoned verdict per platform for a team's requirements.
 *
 *   npm run choose -- --requirements requirements.example.yaml
 *   npm run choose -- --requirements requirements.yaml --results reports/<timestamp>/results.json --stack prod
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { readRequirements, RequirementsError } from "../choose/requirements";
import { trafficShapes, type TrafficShape } from "../compare/traffic";
import { timestampFolder } from "../compare/results";

const usage = `usage: npm run choose -- --requirements <file.yaml> [options]

  --requirements <file>   what your functions need (see requirements.example.yaml)
  --results <file>        a compare run's results.json: judges p99LatencyMs and coldStartMs,
                          and bills the measured duration (else: unmeasured, 50 ms assumed)
  --stack <name>          include the plan warnings your stack would get (Pulumi.<name>.yaml)
  --traffic <shape>       steady, business-hours or spiky (overrides the requirements' traffic; default steady)
  --out <dir>             output folder (default reports/<timestamp>)
  -h, --help              this text

Writes choice.md, choice.json and choice.html; with --results, also a section in that run's report.html.`;

/** A mistake in how the command was called: usage is printed. */
class UsageError extends Error {}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        requirements: { type: "string" },
        results: { type: "string" },
        stack: { type: "string" },
        traffic: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function main(): Promise<void> {
  const values = parseOptions();
  if (values.help) {
    console.log(usage);
    return;
  }
  if (!values.requirements) throw new UsageError("--requirements <file> is required");

  const requirements = readRequirements(values.requirements);
  if (values.traffic !== undefined) {
    if (!(trafficShapes as readonly string[]).includes(values.traffic)) throw new UsageError(`--traffic must be one of ${trafficShapes.join(", ")}`);
    requirements.traffic = values.traffic as TrafficShape;
  }
  // Loaded once the arguments and requirements are known good, so mistakes are reported at once.
  const [{ projectRoot }, { choose }, { readResults }, { renderSummary, writeChoice }, { readStack, stackReasons }, { stackRegions }] = await Promise.all([
    import("../components/bundle"),
    import("../choose/choose"),
    import("../choose/measurements"),
    import("../choose/render"),
    import("../choose/stack"),
    import("../components/stack-file"),
  ]);
  const run = values.results ? readResults(values.results) : undefined;
  const stack = values.stack ? { name: values.stack, reasons: stackReasons(readStack(values.stack)), regions: stackRegions(values.stack) } : undefined;
  const choice = choose({ requirements, requirementsFile: values.requirements, run, stack });
  const dir = values.out ? path.resolve(values.out) : path.join(projectRoot, "reports", timestampFolder(new Date()));
  const written = await writeChoice(dir, choice);

  console.log(renderSummary(choice));
  console.log(`\nWrote ${written.files.map((f) => path.relative(process.cwd(), f)).join(", ")}`);
  if (written.report) console.log(`Added the choice to ${path.relative(process.cwd(), written.report)}`);
}

if (require.main === module) {
  main().catch((error) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\n${usage}`);
    else if (error instanceof RequirementsError || error?.name === "StackConfigError") console.error(error.message);
    else if (error instanceof Error && /^--results|^No stack file/.test(error.message)) console.error(error.message);
    else console.error(error);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
