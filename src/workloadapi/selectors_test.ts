import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  containerIdFromCgroup,
  parseIdNames,
  selectorsFor,
  startTimeFromStat,
} from "./selectors.ts";

const ID = "0123456789abcdef".repeat(4);

Deno.test("selectorsFor() lists uid and gid always and the other facts when known", () => {
  assertEquals(selectorsFor({ uid: 0, gid: 5 }), ["unix:uid:0", "unix:gid:5"]);
  assertEquals(
    selectorsFor({
      uid: 1,
      gid: 2,
      user: "u",
      group: "g",
      path: "/bin/x",
      sha256: "ab",
      containerId: "c1",
    }),
    [
      "unix:uid:1",
      "unix:gid:2",
      "unix:user:u",
      "unix:group:g",
      "unix:path:/bin/x",
      "unix:sha256:ab",
      "container:id:c1",
    ],
  );
});

Deno.test("containerIdFromCgroup() finds Docker, containerd, CRI-O, Podman and Kubernetes IDs and nothing on a host", () => {
  for (
    const text of [
      `0::/system.slice/docker-${ID}.scope\n`,
      `12:memory:/docker/${ID}\n`,
      `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-${ID}.scope`,
      `0::/machine.slice/libpod-${ID}.scope/container`,
      `0::/kubepods/besteffort/pod0b3c/${ID}`,
      `0::/crio-${ID}.scope`,
    ]
  ) assertEquals(containerIdFromCgroup(text), ID, text);
  assertEquals(
    containerIdFromCgroup("0::/user.slice/user-1000.slice/session-2.scope\n"),
    undefined,
  );
  assertEquals(containerIdFromCgroup(`0::/crio-conmon-${ID}.scope`), undefined);
});

Deno.test("parseIdNames() maps ids to the first name in passwd/group text", () => {
  const m = parseIdNames(
    "root:x:0:0::/root:/bin/sh\n# c\npi:x:1000:1000::/h:/bin/sh\ndup:x:1000:1::/:/\n",
  );
  assertEquals(m.get(0), "root");
  assertEquals(m.get(1000), "pi");
});

Deno.test("startTimeFromStat() reads field 22 even when the command name has spaces and parentheses", () => {
  const rest = "S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20";
  assertEquals(startTimeFromStat(`42 (a) b) c) ${rest}`), "987654");
  assertEquals(startTimeFromStat("garbage"), undefined);
});
