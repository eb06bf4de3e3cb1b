/** `actormq machines export`: every machine's statechart, generated from its definition. */
import { machineGraphs } from '../inspect/machine-graph.js';
import { exportFormats, exportMachines, type ExportFormat } from '../inspect/machine-export.js';
import { parse, stringFlag, UsageError } from './args.js';

export const machinesUsage = `actormq machines export [--format mermaid|dot|json] [--machine <id>]
  (machine ids: ${machineGraphs().map((graph) => graph.id).join(', ')}; the default format is mermaid)`;

export async function machines(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  if (action !== 'export') throw new UsageError(machinesUsage);
  const { values, positionals } = parse(rest, { format: { type: 'string' }, machine: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n${machinesUsage}`);
  const format = stringFlag(values, 'format') ?? 'mermaid';
  if (!(exportFormats as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${exportFormats.join(', ')}, got ${format}`);
  const only = stringFlag(values, 'machine');
  const graphs = machineGraphs(only);
  if (graphs.length === 0) throw new UsageError(`unknown machine ${only}; machines: ${machineGraphs().map((graph) => graph.id).join(', ')}`);
  process.stdout.write(exportMachines(graphs, format as ExportFormat));
}
