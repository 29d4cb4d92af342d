// Validates every operation of the contract (`*.graphql` files) against schema.graphql with the
// GraphQL reference implementation, as a typed client's code generator would.
//
//   node check-contract.mjs [schema.graphql] [contract dir]
//
// Defaults, relative to the repository root: schema.graphql and ../shared/contract.
// Exits 1 when the schema does not build, a file does not parse, or an operation is invalid.

import { readFileSync, readdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSchema, parse, validate, Kind } from "graphql";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const schemaPath = resolve(process.argv[2] ?? join(root, "schema.graphql"));
const contractDir = resolve(process.argv[3] ?? join(root, "..", "shared", "contract"));

const schema = buildSchema(readFileSync(schemaPath, "utf8"));
const files = readdirSync(contractDir).filter((f) => f.endsWith(".graphql")).sort();
if (files.length === 0) {
  console.error(`no .graphql files in ${contractDir}`);
  process.exit(1);
}

let operations = 0;
let failures = 0;
for (const file of files) {
  const path = join(contractDir, file);
  let document;
  try {
    document = parse(readFileSync(path, "utf8"));
  } catch (error) {
    console.error(`${file}: does not parse: ${error.message}`);
    failures += 1;
    continue;
  }
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    operations += 1;
    const name = definition.name?.value ?? "(anonymous)";
    // Each operation with the file's fragments, so an error names its operation; fragments
    // that this operation does not use are not "unused" errors.
    const single = { kind: Kind.DOCUMENT, definitions: [definition, ...fragments] };
    const errors = validate(schema, single).filter(
      (e) => !e.message.startsWith('Fragment "') || !e.message.includes("is never used"),
    );
    if (errors.length > 0) {
      failures += 1;
      for (const error of errors) {
        const at = error.locations?.map((l) => `${l.line}:${l.column}`).join(", ") ?? "";
        console.error(`${file} ${name} ${at}: ${error.message}`);
      }
    }
  }
}

if (failures > 0) {
  console.error(`${failures} of ${operations} contract operations invalid against ${schemaPath}`);
  process.exit(1);
}
console.log(`${operations}/${operations} contract operations valid against ${schemaPath} (graphql ${(await import("graphql")).version})`);
