'use strict';
// serverless-esbuild zips each function through a folder it makes in the system temp
// directory (`<function>-<pid>-<time>-<random>`) and leaves it there: 17 folders a package
// run. While this service packages, the temp directory is instead a folder of its own in
// the project's git-ignored `.serverless-tmp/`, removed when packaging ends or fails.
// Listed before serverless-esbuild in serverless.yml: same hooks, runs before its zipping.

/* eslint-disable @typescript-eslint/no-require-imports */
const { mkdirSync, mkdtempSync, rmSync, rmdirSync } = require('node:fs');
const { join } = require('node:path');
/* eslint-enable @typescript-eslint/no-require-imports */

class PackagerTempDir {
  constructor(serverless) {
    const root = join(serverless.serviceDir || serverless.config.servicePath, '.serverless-tmp');
    let dir;
    let previous;
    const enter = () => {
      if (dir !== undefined) return;
      mkdirSync(root, { recursive: true });
      dir = mkdtempSync(join(root, 'package-'));
      previous = process.env.TMPDIR;
      process.env.TMPDIR = dir; // os.tmpdir() reads it at each call
    };
    const leave = () => {
      if (dir === undefined) return;
      rmSync(dir, { recursive: true, force: true });
      dir = undefined;
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      try {
        rmdirSync(root); // only when no other package run is using it
      } catch {
        // another run's folder is still there
      }
    };
    process.once('exit', leave);
    this.hooks = {
      'before:package:createDeploymentArtifacts': enter,
      'after:package:createDeploymentArtifacts': leave,
      'before:deploy:function:packageFunction': enter,
      'after:deploy:function:packageFunction': leave,
    };
  }
}

module.exports = PackagerTempDir;
