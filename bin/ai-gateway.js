#!/usr/bin/env node
// Launcher: loads the built CLI and nothing else. Run `npm run build` first in a checkout.
import '../dist/cli/main.js';
