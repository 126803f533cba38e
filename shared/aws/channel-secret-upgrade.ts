import * as v from 'valibot';
import { SECRET_SECTIONS, type SecretSection } from '#shared/channels/registry.ts';
import { CHANNEL_SECRET_SECTIONS, isSecretPlaceholder } from '#shared/config/secrets.ts';
import { isRecord, nonEmptyString, object } from '#shared/validation/schema.ts';

/*
 * The upgrade from one channel secret holding every provider's credentials to one secret per
 * provider. Deployments made before the split keep their credentials in the legacy secret
 * (`<prefix>/channel-secrets`); the first deploy with per-provider secrets creates those with a
 * placeholder, and this copy fills each from the legacy secret's section before any function is
 * switched over (the functions depend on it in the stack), so no webhook answers 503 in between.
 * It never overwrites a section secret the operator has set, and never changes the legacy one.
 */

/** A section to put into its own secret, as the legacy secret held it. */
export interface SectionCopy {
  readonly section: SecretSection;
  readonly secretString: string;
}

const parsedJson = (secretString: string | undefined): unknown => {
  if (secretString === undefined) return undefined;
  try {
    return JSON.parse(secretString) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * What to copy: every section of the legacy secret that its functions could read (it matches the
 * section's schema) and whose own secret still holds the deploy's placeholder. A legacy secret
 * that is itself a placeholder, or no JSON object, gives nothing.
 */
export const sectionsToCopy = (
  legacySecret: string | undefined,
  sectionSecrets: Readonly<Partial<Record<SecretSection, string>>>,
): readonly SectionCopy[] => {
  const legacy = parsedJson(legacySecret);
  if (!isRecord(legacy) || isSecretPlaceholder(legacy)) return [];
  return SECRET_SECTIONS.flatMap((section) => {
    const value = legacy[section];
    if (!v.is(CHANNEL_SECRET_SECTIONS[section].schema, value)) return [];
    if (!isSecretPlaceholder(parsedJson(sectionSecrets[section]))) return [];
    return [{ section, secretString: JSON.stringify(value) }];
  });
};

/** Secrets Manager, as far as the upgrade uses it. */
export interface SecretsPort {
  getSecretValue(secretId: string): Promise<string | undefined>;
  putSecretValue(secretId: string, secretString: string): Promise<void>;
}

/** The custom resource's properties (infra/constructs/channel-secret-upgrade.ts sets them). */
export const UpgradeInputSchema = object({
  legacySecretId: nonEmptyString(),
  sectionSecretIds: object({
    meta: nonEmptyString(),
    twilio: nonEmptyString(),
    mailgun: nonEmptyString(),
    email: nonEmptyString(),
  } satisfies Record<SecretSection, v.GenericSchema>),
});
export type UpgradeInput = v.InferOutput<typeof UpgradeInputSchema>;

/** Reads the legacy and the section secrets, puts each section to copy; returns the sections copied. */
export const upgradeChannelSecrets = async (
  input: UpgradeInput,
  secrets: SecretsPort,
): Promise<readonly SecretSection[]> => {
  const [legacy, ...current] = await Promise.all([
    secrets.getSecretValue(input.legacySecretId),
    ...SECRET_SECTIONS.map((section) => secrets.getSecretValue(input.sectionSecretIds[section])),
  ]);
  const copies = sectionsToCopy(
    legacy,
    Object.fromEntries(SECRET_SECTIONS.map((section, index) => [section, current[index]])),
  );
  for (const copy of copies) {
    await secrets.putSecretValue(input.sectionSecretIds[copy.section], copy.secretString);
  }
  return copies.map((copy) => copy.section);
};
