// Validates Amazon States Language files with asl-validator, the validator
// aws-local-stepfunctions itself runs:
//
//   node validate.mjs statemachines/*.asl.json
//
// Definitions carry DefinitionSubstitutions placeholders (${Key}). A string
// that is one whole placeholder stays as it is: asl-validator accepts that
// for Resource. A placeholder inside a longer string (an ARN's region,
// account or name) becomes digits, which fit every part of an ARN, so the
// ARN around it is still checked.

import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';

const files = process.argv.slice(2);
let failed = false;
for (const file of files) {
  let definition;
  try {
    const text = readFileSync(file, 'utf8').replace(/"(\$\{[^}"]+\})"|\$\{[^}"]+\}/g, (match, whole) => whole ? match : '000000000000');
    definition = JSON.parse(text);
  } catch (err) {
    console.error(`✕ ${file}: ${err.message}`);
    failed = true;
    continue;
  }
  const { isValid, errorsText } = aslValidator(definition, { checkArn: true, checkPaths: true });
  if (isValid) {
    console.log(`✓ ${file}`);
  } else {
    console.error(`✕ ${file}:\n${errorsText('\n')}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
