/**
 * Node options the broker process runs with: the `actormq` command's first
 * line (`#!/usr/bin/env -S node …`) and `npm start` pass them, and the
 * benchmarks start their brokers with them (a test keeps the three equal).
 *
 * `--initial-old-space-size=64`: V8 never lowers the old generation's
 * allocation limit below this (MiB). With its default, a broker's small old
 * generation (~10 MiB) got a limit only ~16 MiB above it, and V8 started a
 * full collection after nearly every young one — and produce traffic forces
 * a young one every ~50 ms (the sockets' frames are external memory): ~10
 * full collections a second, a quarter of the broker's CPU at 1.5M msgs/s.
 * With the floor, none in a minute at 1.9M msgs/s; under produce plus
 * groups and transactions (`actormq verify`) 225 instead of 797 in 90 s. It
 * costs at most that much garbage held before a full collection. An
 * application that embeds `startBroker` should start node with it too.
 */
export const brokerNodeOptions: readonly string[] = ['--initial-old-space-size=64'];
