#!/usr/bin/env python3
"""M/M/100 at utilisation 0.9 in SimPy: the system of benches/mmc100.toml, for timing simctl
against a widely used Python discrete-event library.

Poisson arrivals at 90/s, exponential service of mean 1 s, 100 servers (one
simpy.Resource(capacity=100), i.e. one central FIFO queue), 1,000,000 customers, one SimPy process
per customer. Prints the wall time and "events": 2 per customer (an arrival and a departure), the
count simctl reports for the same run (SimPy itself schedules more internal events per customer).

    python3 -m venv /tmp/simpyenv && /tmp/simpyenv/bin/pip install simpy==4.1.2
    /tmp/simpyenv/bin/python benches/simpy_mmc.py [CUSTOMERS]

Measured 2026-12-03 (docs/performance.md, "SimPy comparison"; 2-core KVM Intel Xeon, load average
about 7.8), interleaved 3 times each with `simctl run benches/mmc100.toml -j1 -q --out /tmp/mmcout
--force` (release build of main at 9fafb3d), process wall time by /usr/bin/time:
    SimPy 4.1.2 (Python 3.11.7): 14.74, 15.02, 12.85 s (min 12.85, median 14.74), user+sys ~10.1 s
    simctl run:                   1.17,  1.20,  1.18 s (min 1.17,  median 1.18),  user+sys ~0.74 s
    simctl is 11.0x faster by min wall, 12.5x by median wall, 13.7x by CPU time.
"""

import random
import sys
import time

import simpy

RATE = 90.0  # arrivals per second
MEAN_SERVICE = 1.0  # seconds
SERVERS = 100


def customer(env, servers, service):
    with servers.request() as req:
        yield req
        yield env.timeout(service)


def source(env, servers, customers, rng):
    for _ in range(customers):
        yield env.timeout(rng.expovariate(RATE))
        env.process(customer(env, servers, rng.expovariate(1.0 / MEAN_SERVICE)))


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = random.Random(1)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    env.process(source(env, servers, customers, rng))
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started
    events = 2 * customers
    print(
        f"simpy {simpy.__version__} M/M/{SERVERS}: {customers} customers, {events} events, "
        f"wall {wall:.3f} s, {events / wall:.4g} events/s, simulated {env.now:.1f} s"
    )


if __name__ == "__main__":
    main()
