import { createHash } from "node:crypto";
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { ContentHasher, dvcMd5, HASH_CACHE_FILE, isDvcTextBlock } from "../../../core/graft/hashing";
import { cleanupScratch, tempDir, writeTree } from "./helpers";

afterAll(cleanupScratch);

const md5 = (b: Buffer | string) => createHash("md5").update(b).digest("hex");

describe("dvcMd5", () => {
  it("md5 (DVC 3.x) hashes the raw bytes, CRLF included", () => {
    // `md5sum` of the same bytes; dvc 3.67 wrote this for a CRLF file with `hash: md5`.
    expect(dvcMd5(Buffer.from("hello\r\nworld\r\n"), "md5")).toBe("7ac062d8a84466e70d9b899c0821a51c");
  });

  it("md5-dos2unix (DVC 2.x) turns CRLF into LF in text", () => {
    expect(dvcMd5(Buffer.from("hello\r\nworld\r\n"), "md5-dos2unix")).toBe(md5("hello\nworld\n"));
    expect(dvcMd5(Buffer.from("Questions people ask\r\nabout the service\r\n"), "md5-dos2unix")).toBe("2b230bfcfe33ab4e7bf22d4eee3caab1");
  });

  it("md5-dos2unix leaves binary content alone", () => {
    const binary = Buffer.from([0, 1, 2, 13, 10, 3]);
    expect(dvcMd5(binary, "md5-dos2unix")).toBe(md5(binary));
  });

  it("md5-dos2unix decides text or binary per 1 MiB chunk, from its first 512 bytes", () => {
    const text = Buffer.alloc(2 ** 20, "a\r\n");
    const binary = Buffer.concat([Buffer.alloc(512, 0), Buffer.from("x\r\ny")]);
    const both = Buffer.concat([text, binary]);
    const expected = md5(Buffer.concat([Buffer.from(text.toString("latin1").replaceAll("\r\n", "\n"), "latin1"), binary]));
    expect(dvcMd5(both, "md5-dos2unix")).toBe(expected);
  });

  it("md5-dos2unix keeps a CRLF split across two chunks (as DVC does)", () => {
    const first = Buffer.alloc(2 ** 20, "a");
    first[first.length - 1] = 0x0d;
    const content = Buffer.concat([first, Buffer.from("\nb")]);
    expect(dvcMd5(content, "md5-dos2unix")).toBe(md5(content));
  });

  it("uses DVC's text heuristic", () => {
    expect(isDvcTextBlock(Buffer.alloc(0))).toBe(true);
    expect(isDvcTextBlock(Buffer.from("plain text\r\n"))).toBe(true);
    expect(isDvcTextBlock(Buffer.from([0x41, 0x00]))).toBe(false);
    expect(isDvcTextBlock(Buffer.from([0xe2, 0x82, 0xac, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47]))).toBe(true); // 3 of 10 non-ASCII
    expect(isDvcTextBlock(Buffer.from([0xe2, 0x82, 0xac, 0xe2, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46]))).toBe(false); // 4 of 10
  });

  it("equals plain md5 for any content without CRLF (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const buf = Buffer.from(bytes);
        if (buf.indexOf("\r\n") >= 0) return;
        expect(dvcMd5(buf, "md5-dos2unix")).toBe(md5(buf));
      }),
    );
  });
});

describe("ContentHasher", () => {
  it("hashes each file once per run and reports missing files", () => {
    const root = tempDir();
    writeTree(root, { "a.txt": "A\n" });
    const hasher = new ContentHasher(root, { cache: false });
    const first = hasher.digest("a.txt");
    expect(first?.sha256).toBe(createHash("sha256").update("A\n").digest("hex"));
    expect(hasher.digest("a.txt")).toBe(first);
    expect(hasher.digest("missing.txt")).toBeUndefined();
    expect(hasher.digest(".")).toBeUndefined();
    expect(hasher.stats).toEqual({ hashed: 1, cached: 0 });
  });

  it("reuses cached digests for unchanged files and rehashes changed ones", () => {
    const root = tempDir();
    writeTree(root, { "a.txt": "A\n", "b.txt": "B\n" });
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(root, "a.txt"), old, old);
    utimesSync(path.join(root, "b.txt"), old, old);
    const cold = new ContentHasher(root);
    cold.digest("a.txt");
    cold.digest("b.txt");
    cold.save();
    expect(JSON.parse(readFileSync(path.join(root, HASH_CACHE_FILE), "utf8")).version).toBe(3);

    writeFileSync(path.join(root, "b.txt"), "B2\n");
    const warm = new ContentHasher(root);
    expect(warm.digest("a.txt")?.sha256).toBe(createHash("sha256").update("A\n").digest("hex"));
    expect(warm.digest("b.txt")?.sha256).toBe(createHash("sha256").update("B2\n").digest("hex"));
    expect(warm.stats).toEqual({ hashed: 1, cached: 1 });
  });

  it("does not trust an entry whose mtime is not older than the cache (racy clean)", () => {
    const root = tempDir();
    writeTree(root, { "a.txt": "A\n" });
    const hasher = new ContentHasher(root);
    hasher.digest("a.txt");
    hasher.save();
    // Same size, same mtime as recorded, but rewritten after the cache: mtime >= cache mtime.
    const cacheStat = new Date(Date.now() + 5_000);
    writeFileSync(path.join(root, "a.txt"), "Z\n");
    utimesSync(path.join(root, "a.txt"), cacheStat, cacheStat);
    const cache = JSON.parse(readFileSync(path.join(root, HASH_CACHE_FILE), "utf8"));
    cache.entries["a.txt"][1] = String(cacheStat.getTime());
    writeFileSync(path.join(root, HASH_CACHE_FILE), JSON.stringify(cache));
    const next = new ContentHasher(root);
    expect(next.digest("a.txt")?.sha256).toBe(createHash("sha256").update("Z\n").digest("hex"));
    expect(next.stats).toEqual({ hashed: 1, cached: 0 });
  });

  it("ignores a corrupt cache", () => {
    const root = tempDir();
    writeTree(root, { "a.txt": "A\n", [HASH_CACHE_FILE]: "{not json" });
    const hasher = new ContentHasher(root);
    expect(hasher.digest("a.txt")?.sha256).toBe(createHash("sha256").update("A\n").digest("hex"));
  });

  it("records the signature line of signed documents", () => {
    const root = tempDir();
    const line = `<!-- Generated by Graft | model=m | sig=${"0".repeat(64)} | rev=r | 2025-01-01 -->`;
    writeTree(root, { "d.md": `${line}\r\nBody\n` });
    const d = new ContentHasher(root, { cache: false }).digest("d.md");
    expect(d?.signatureLine).toBe(line);
  });
});
