//! The editor's section forms and their conversion to the service inputs.

use super::*;

// ---- forms ----

#[derive(Deserialize, Default)]
pub struct BasicsForm {
    #[serde(default)]
    pub(super) full_name: String,
    #[serde(default)]
    pub(super) bio: String,
    #[serde(default)]
    pub(super) avatar_url: String,
    #[serde(default)]
    pub(super) phone: String,
    #[serde(default)]
    pub(super) education_level: String,
    #[serde(default)]
    pub(super) experience_level: String,
    #[serde(default)]
    pub(super) preferred_career_track: String,
    #[serde(default)]
    pub(super) learning_style: String,
    /// Comma-separated.
    #[serde(default)]
    pub(super) interests: String,
    #[serde(default)]
    pub(super) career_goals: String,
}

impl BasicsForm {
    pub(super) fn of(me: &UserView) -> Self {
        Self {
            full_name: opt(&me.full_name),
            bio: opt(&me.bio),
            avatar_url: opt(&me.avatar_url),
            phone: opt(&me.phone),
            education_level: opt(&me.education_level),
            experience_level: opt(&me.experience_level),
            preferred_career_track: opt(&me.preferred_career_track),
            learning_style: opt(&me.learning_style),
            interests: me.interests.join(", "),
            career_goals: opt(&me.career_goals),
        }
    }

    pub(super) fn to_update(&self) -> ProfileUpdate {
        let some = |s: &String| Patch::Value(s.clone());
        ProfileUpdate {
            full_name: some(&self.full_name),
            bio: some(&self.bio),
            avatar_url: some(&self.avatar_url),
            phone: some(&self.phone),
            education_level: some(&self.education_level),
            experience_level: some(&self.experience_level),
            preferred_career_track: some(&self.preferred_career_track),
            learning_style: some(&self.learning_style),
            interests: Patch::Value(
                self.interests
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
            ),
            career_goals: some(&self.career_goals),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SkillForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) level: String,
}

#[derive(Deserialize)]
pub struct RemoveSkillForm {
    #[serde(default)]
    pub(super) name: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct ExperienceForm {
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) company: String,
    #[serde(default)]
    pub(super) location: String,
    #[serde(default)]
    pub(super) start_date: String,
    #[serde(default)]
    pub(super) end_date: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub(super) is_current: Option<String>,
    #[serde(default)]
    pub(super) description: String,
}

impl ExperienceForm {
    pub(super) fn of(e: &ExperienceView) -> Self {
        Self {
            title: e.title.clone(),
            company: e.company.clone(),
            location: opt(&e.location),
            start_date: e.start_date.to_string(),
            end_date: e.end_date.map(|d| d.to_string()).unwrap_or_default(),
            is_current: e.is_current.then(|| "on".to_owned()),
            description: opt(&e.description),
        }
    }

    pub(super) fn current(&self) -> bool {
        self.is_current.is_some()
    }

    pub(super) fn to_input(&self) -> ExperienceInput {
        ExperienceInput {
            title: Some(self.title.clone()),
            company: Some(self.company.clone()),
            location: Some(self.location.clone()),
            start_date: Some(self.start_date.clone()),
            end_date: Some(self.end_date.clone()),
            is_current: Some(self.current()),
            description: Some(self.description.clone()),
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct EducationForm {
    #[serde(default)]
    pub(super) school: String,
    #[serde(default)]
    pub(super) degree: String,
    #[serde(default)]
    pub(super) field_of_study: String,
    #[serde(default)]
    pub(super) start_year: String,
    #[serde(default)]
    pub(super) end_year: String,
    #[serde(default)]
    pub(super) grade: String,
    #[serde(default)]
    pub(super) description: String,
}

/// A year typed in a form: blank is none; anything unreadable becomes 0 so the service refuses
/// it with its own message ("must be a year between 1950 and 2100").
pub(super) fn year(s: &str) -> Option<i32> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse().unwrap_or(0))
}

impl EducationForm {
    pub(super) fn of(e: &EducationView) -> Self {
        Self {
            school: e.school.clone(),
            degree: opt(&e.degree),
            field_of_study: opt(&e.field_of_study),
            start_year: e.start_year.map(|y| y.to_string()).unwrap_or_default(),
            end_year: e.end_year.map(|y| y.to_string()).unwrap_or_default(),
            grade: opt(&e.grade),
            description: opt(&e.description),
        }
    }

    pub(super) fn to_input(&self) -> EducationInput {
        EducationInput {
            school: Some(self.school.clone()),
            degree: Some(self.degree.clone()),
            field_of_study: Some(self.field_of_study.clone()),
            start_year: year(&self.start_year),
            end_year: year(&self.end_year),
            grade: Some(self.grade.clone()),
            description: Some(self.description.clone()),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CvForm {
    #[serde(default)]
    pub(super) cv_text: String,
}
