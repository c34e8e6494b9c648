import assert from "node:assert/strict";
import { cleanFileMappings, parseSmaps } from "./memory_trim.ts";

const SMAPS = `55d0c0a00000-55d0c2000000 r--p 00000000 08:01 1234 /usr/bin/deno
Size:              22528 kB
Rss:               13000 kB
Anonymous:             0 kB
55d0c2000000-55d0c6000000 r-xp 01600000 08:01 1234 /usr/bin/deno
Rss:               24000 kB
Anonymous:             0 kB
55d0c6000000-55d0c6200000 r--p 05600000 08:01 1234 /usr/bin/deno
Rss:                2048 kB
Anonymous:          2048 kB
55d0c6200000-55d0c6300000 rw-p 05800000 08:01 1234 /usr/bin/deno
Rss:                 900 kB
Anonymous:           900 kB
55d0c8000000-55d0c8800000 rw-p 00000000 00:00 0 [heap]
Rss:                7000 kB
Anonymous:          7000 kB
7f0000000000-7f0000100000 r-xp 00000000 00:00 0
Rss:                 100 kB
Anonymous:           100 kB
7f0000200000-7f0000300000 r--s 00000000 08:01 99 /root/.cache/deno/v8_code_cache_v2
Rss:                3000 kB
Anonymous:             0 kB
7f0000400000-7f0000500000 r--p 00000000 08:01 77 /usr/lib/locale/C.utf8/LC_CTYPE
Rss:                   0 kB
Anonymous:             0 kB
7f0000600000-7f0000700000 r-xp 00000000 00:05 5 /memfd:jit (deleted)
Rss:                 400 kB
Anonymous:             0 kB
7f0000800000-7f0000900000 r--s 00000000 00:05 6 /dev/shm/x
Rss:                 400 kB
Anonymous:             0 kB
7f0000a00000-7f0000b00000 r--p 00000000 08:01 55 /tmp/old.so (deleted)
Rss:                 400 kB
Anonymous:             0 kB
7fff00000000-7fff00021000 rw-p 00000000 00:00 0 [stack]
Rss:                 132 kB
Anonymous:           132 kB
`;

Deno.test("parseSmaps() reads each mapping's range, permissions, file and resident sizes", () => {
  const maps = parseSmaps(SMAPS);
  assert.equal(maps.length, 12);
  assert.deepEqual(maps[1], {
    start: 0x55d0c2000000n,
    end: 0x55d0c6000000n,
    perms: "r-xp",
    path: "/usr/bin/deno",
    rssKb: 24000,
    anonymousKb: 0,
  });
  assert.equal(maps[4].path, "[heap]");
  assert.equal(maps[5].path, "");
});

Deno.test("only clean, read-only, resident mappings of regular files are paged out", () => {
  const picked = cleanFileMappings(parseSmaps(SMAPS)).map((m) =>
    `${m.perms} ${m.path}`
  );
  assert.deepEqual(picked, [
    "r--p /usr/bin/deno", // read-only data: clean
    "r-xp /usr/bin/deno", // code
    "r--s /root/.cache/deno/v8_code_cache_v2",
  ]);
  // Not: the relocated read-only part (anonymous pages), writable data, the
  // heap, anonymous code, nothing resident, memfd, devices, deleted files,
  // the stack.
});
