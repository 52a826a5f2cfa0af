// Regenerates gateway.schema.json (referenced by gateway.example.yaml's yaml-language-server modeline)
// from the built config schema. A unit test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../dist/config/index.js';

writeFileSync(new URL('../gateway.schema.json', import.meta.url), JSON.stringify(configJsonSchema(), null, 2) + '\n');
