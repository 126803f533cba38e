import './quiet-logs.ts';
import { resolve } from 'node:path';
import { runApiLatency } from './api.ts';
import { runAwsCost } from './aws-cost.ts';
import { runColdStart } from './cold-start.ts';
import { runEndToEnd } from './end-to-end.ts';
import { runLinearTime } from './linear-time.ts';
import { machineInfo } from './machine.ts';
import { runMedia } from './media.ts';
import { parseOptions, wants } from './options.ts';
import { runOutboundThroughput } from './outbound.ts';
import { type BenchReport, renderReport, writeMediaReport, writeReport, writtenLines } from './report.ts';
import { runScale } from './scale.ts';
import { runWebhookCost } from './webhook-cost.ts';

/**
 * `npm run bench [-- --quick] [-- --only=webhook,cold-start,end-to-end,aws-cost,scale,linear-time,api,outbound,media]`
 * Prints the tables and writes them as JSON under bench/results/. Nothing here fails on slowness:
 * targets are reported, never asserted.
 */
const options = parseOptions(process.argv.slice(2));
const progress = (line: string) => console.error(line);
const machine = machineInfo();
const report: {
  -readonly [K in keyof BenchReport]: BenchReport[K];
} = { machine, quick: options.quick };

if (wants(options, 'webhook')) {
  progress('1/9 webhook CPU against the floor');
  report.webhookCost = await runWebhookCost(options.quick, progress);
}
if (wants(options, 'cold-start')) {
  progress('2/9 bundles and cold import');
  report.coldStart = await runColdStart(options.quick, progress);
}
if (wants(options, 'end-to-end')) {
  progress('3/9 end to end on the local hub');
  report.endToEnd = await runEndToEnd(options.quick, progress);
}
if (wants(options, 'aws-cost')) {
  progress('4/9 AWS requests and cost per message');
  report.awsCost = await runAwsCost(options.quick, progress);
}

const resultsDirectory = resolve(import.meta.dirname, 'results');
if (wants(options, 'scale')) {
  progress('5/9 scale model (AWS calls per event against the quotas)');
  report.scale = runScale(report.awsCost, resultsDirectory);
}

if (wants(options, 'linear-time')) {
  progress('6/9 linear time of the functions that read provider text, on hostile inputs');
  report.linearTime = runLinearTime(options.quick, progress);
}

if (wants(options, 'api')) {
  progress('7/9 helpdesk API latency and DynamoDB units on the local hub');
  report.api = await runApiLatency(options.quick, progress);
}

if (wants(options, 'outbound')) {
  progress('8/9 outbound throughput on the local hub');
  report.outbound = await runOutboundThroughput(options.quick, progress);
}

if (wants(options, 'media')) {
  progress(
    '9/9 inbound media: cost per message with an image, webhook answer with and without, fetcher memory',
  );
  report.media = await runMedia(options.quick, progress);
}

console.log(renderReport(report));
// A scale run is arithmetic over a saved run, and the linear-time, API, outbound and media runs
// measure no part of it: alone, they do not replace that run's results (media's go to a file of
// their own).
const PARTIAL_SECTIONS = new Set(['scale', 'linear-time', 'api', 'outbound', 'media']);
const derivedOnly = options.only.size > 0 && [...options.only].every((name) => PARTIAL_SECTIONS.has(name));
const written = derivedOnly ? [] : writeReport(report, resultsDirectory, [...options.only]);
if (report.media) written.push(writeMediaReport(report, resultsDirectory));
for (const line of writtenLines(written)) console.log(line);
