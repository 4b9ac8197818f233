// Checks that the exported tokenizer files load in @huggingface/tokenizers (the library the app
// uses) and give exactly the ids the Python trainer used. Usage: node check_tokenizer.mjs <model dir> <cases.json>
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [modelDir, casesFile] = process.argv.slice(2);
const require = createRequire(import.meta.url); // resolves the repository's node_modules
const { Tokenizer } = require("@huggingface/tokenizers");
const read = (f) => JSON.parse(readFileSync(path.join(modelDir, "tokenizer", f), "utf8"));
const tok = new Tokenizer(read("tokenizer.json"), read("tokenizer_config.json"));
const cases = JSON.parse(readFileSync(casesFile, "utf8"));
let bad = 0;
for (const { text, ids } of cases) {
  const got = tok.encode(text).ids;
  if (JSON.stringify(got) !== JSON.stringify(ids)) {
    bad++;
    if (bad <= 5) console.log("MISMATCH", JSON.stringify(text), "js", JSON.stringify(got), "py", JSON.stringify(ids));
  }
}
console.log(JSON.stringify({ cases: cases.length, mismatches: bad }));
process.exit(bad ? 1 : 0);
