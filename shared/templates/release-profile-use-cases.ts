import type { ReleaseProfileView } from '../contract/operator-api';
import { NotFound } from '../errors';
import type { Services } from '../services';
import { getReleaseProfile, parseReleaseProfile, saveReleaseProfile } from './release-profile';
import { findTemplate } from './template-library';

export async function getTemplateProfile(services: Services, templateId: number): Promise<ReleaseProfileView> {
  const stored = await getReleaseProfile(services, templateId);
  if (!stored) throw new NotFound('profile_not_found', `template ${templateId} has no release profile: PUT one to set the privacy guide, audit items and privacy APIs its releases need`);
  return { templateId, profile: stored.profile, updatedAt: new Date(stored.updatedAtMs).toISOString() };
}

/** Validates the whole profile (400 naming the bad field), for a template in the library (404 otherwise), and replaces the stored one. */
export async function putTemplateProfile(services: Services, templateId: number, body: unknown, nowMs = Date.now()): Promise<ReleaseProfileView> {
  const profile = parseReleaseProfile(body);
  await findTemplate(services, templateId);
  await saveReleaseProfile(services, templateId, profile, nowMs);
  return { templateId, profile, updatedAt: new Date(nowMs).toISOString() };
}
