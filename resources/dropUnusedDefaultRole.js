'use strict';
// The framework creates its shared IamRoleLambdaExecution before serverless-iam-roles-per-function
// gives each function a role of its own, and then nothing uses it. This removes it when no
// resource of the template refers to it, so the stack holds only the roles in use.
// Listed after serverless-iam-roles-per-function in serverless.yml: same hook, runs after it.

const DEFAULT_ROLE = 'IamRoleLambdaExecution';

class DropUnusedDefaultRole {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.drop() };
  }

  drop() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const { [DEFAULT_ROLE]: role, ...others } = template.Resources;
    if (!role) return;
    const text = JSON.stringify({ ...template, Resources: others });
    if (text.includes(`"${DEFAULT_ROLE}"`)) return; // Ref, Fn::GetAtt or DependsOn
    delete template.Resources[DEFAULT_ROLE];
  }
}

module.exports = DropUnusedDefaultRole;
