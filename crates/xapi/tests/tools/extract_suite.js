// Extracts the ADL LRS conformance suite's templated statement tests into a
// JSON fixture: [{group, name, expect, body}]. Run from the suite root:
//   cd /work/adl/suite && DIRECTORY=v1_0_3 EB_NODE_COMMAND=1 node <this> > out.json
'use strict';
const path = require('path');
const fs = require('fs');
const suite = process.cwd();
const helper = require(path.join(suite, 'test', 'helper.js'));
const dir = process.env.DIRECTORY;
const configDir = path.join(suite, 'test', dir, 'configs');
const out = [];
for (const file of fs.readdirSync(configDir).sort()) {
  if (!file.endsWith('.js')) continue;
  const groups = require(path.join(configDir, file)).config();
  for (const g of groups) {
    for (const t of g.config) {
      let body;
      try {
        if (t.templates) {
          const obj = helper.createTestObject(helper.convertTemplate(t.templates));
          body = obj[Object.keys(obj)[0]];
        } else {
          body = t.json;
        }
      } catch (e) {
        body = undefined;
      }
      if (body === undefined) continue;
      out.push({ file, group: g.name, name: t.name, expect: t.expect, body });
    }
  }
}
process.stdout.write(JSON.stringify(out, null, 1));
