/**
 * The commands the Dockerfile's build stage runs. No Docker engine runs where
 * this project is tested, so package.test.ts runs these same commands on the
 * same tarball (and the image's WORKDIR, ENV, CMD and HEALTHCHECK, read from
 * the Dockerfile), and docker.test.ts checks the Dockerfile still says them.
 */
export const IMAGE_STEPS = {
  /** Build stage, in the source tree: every dependency, from the lockfile. */
  install: 'npm ci --no-audit --no-fund',
  build: 'npm run build',
  /** The tarball npm would publish; the build above already ran, so no prepack. */
  pack: 'npm pack --ignore-scripts',
  /** Into /app: the package's files at the top (npm tarballs hold them under package/). */
  unpack: 'tar -xzf',
  unpackFlags: '--strip-components=1',
  /** With the project's package-lock.json copied next to them: production dependencies only, from the cache the first install filled. */
  installRuntime: 'npm ci --omit=dev --offline --no-audit --no-fund',
} as const;

/** A step's words, for spawn. */
export function words(step: string): string[] {
  return step.split(' ');
}
