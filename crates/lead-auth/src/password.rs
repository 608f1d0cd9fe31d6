//! Employee passwords for the team's dashboard: argon2id hashes in the PHC string format,
//! salted from the operating system's CSPRNG.

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::KeyError;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted, in characters (hashing cost stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Why a new password is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    /// Too easy to guess (zxcvbn's score below [`MIN_PASSWORD_SCORE`]), and why.
    #[error("the password is too easy to guess: {english}")]
    Weak {
        /// Why, for the operator.
        english: &'static str,
        /// Why, for the team.
        german: &'static str,
    },
}

/// The lowest zxcvbn score accepted: 3, "safely unguessable" (about 10^10 guesses).
pub const MIN_PASSWORD_SCORE: u8 = 3;

impl PasswordError {
    /// What is wrong, in German (for the team's pages).
    pub fn german(&self) -> String {
        match self {
            PasswordError::TooShort => format!("Das Passwort muss mindestens {MIN_PASSWORD_CHARS} Zeichen haben."),
            PasswordError::TooLong => format!("Das Passwort darf höchstens {MAX_PASSWORD_CHARS} Zeichen haben."),
            PasswordError::Weak { german, .. } => format!("Das Passwort ist zu leicht zu erraten: {german}"),
        }
    }
}

/// Checks a new password: its length, and that it is hard to guess — also for someone who
/// knows `user_inputs` (the employee's name and e-mail address, the company's name).
pub fn check_new_password(password: &str, user_inputs: &[&str]) -> Result<(), PasswordError> {
    match password.chars().count() {
        n if n < MIN_PASSWORD_CHARS => return Err(PasswordError::TooShort),
        n if n > MAX_PASSWORD_CHARS => return Err(PasswordError::TooLong),
        _ => {}
    }
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if u8::from(estimate.score()) >= MIN_PASSWORD_SCORE {
        return Ok(());
    }
    let (english, german) = why_weak(estimate.feedback().and_then(|feedback| feedback.warning()));
    Err(PasswordError::Weak { english, german })
}

/// zxcvbn's warning, in English and German.
fn why_weak(warning: Option<zxcvbn::feedback::Warning>) -> (&'static str, &'static str) {
    use zxcvbn::feedback::Warning::*;
    match warning {
        Some(StraightRowsOfKeysAreEasyToGuess | ShortKeyboardPatternsAreEasyToGuess) => (
            "keyboard patterns are easy to guess",
            "Tastaturmuster wie „qwertz“ sind leicht zu erraten.",
        ),
        Some(RepeatsLikeAaaAreEasyToGuess | RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess) => (
            "repeated characters or words are easy to guess",
            "Wiederholungen wie „aaa“ oder „abcabc“ sind leicht zu erraten.",
        ),
        Some(ThisIsATop10Password | ThisIsATop100Password | ThisIsACommonPassword) => (
            "it is one of the most common passwords",
            "Es gehört zu den häufigsten Passwörtern.",
        ),
        Some(ThisIsSimilarToACommonlyUsedPassword) => (
            "it is similar to a common password",
            "Es ähnelt einem häufig verwendeten Passwort.",
        ),
        Some(SequencesLikeAbcAreEasyToGuess) => (
            "sequences like abc or 6543 are easy to guess",
            "Folgen wie „abc“ oder „6543“ sind leicht zu erraten.",
        ),
        Some(RecentYearsAreEasyToGuess | DatesAreOftenEasyToGuess) => (
            "years and dates are easy to guess",
            "Jahreszahlen und Daten sind leicht zu erraten.",
        ),
        Some(AWordByItselfIsEasyToGuess) => (
            "a single word is easy to guess",
            "Ein einzelnes Wort ist leicht zu erraten.",
        ),
        Some(NamesAndSurnamesByThemselvesAreEasyToGuess | CommonNamesAndSurnamesAreEasyToGuess) => {
            ("names are easy to guess", "Namen sind leicht zu erraten.")
        }
        _ => (
            "add more words that are not common, or more characters",
            "Nehmen Sie mehrere ungewöhnliche Wörter oder mehr Zeichen.",
        ),
    }
}

/// The argon2id hash of `password` (PHC string: algorithm, parameters, salt and hash).
pub fn hash_password(password: &str) -> Result<String, KeyError> {
    PasswordWorkspace::default().hash(password)
}

/// Whether `password` matches `hash` (constant time in the hash comparison; a malformed
/// hash never matches).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordWorkspace::default().verify(password, hash)
}

/// The memory argon2 works in (19 MiB at the default parameters), kept from one password to
/// the next: a thread that checks many passwords holds one such block the whole time instead
/// of asking the allocator for a new one each time (which, once freed, glibc keeps in the
/// thread's arena rather than giving it back: a flood of checks on many threads used to leave
/// hundreds of MiB behind). Dropped, the workspace gives its memory back to the system.
#[derive(Default)]
pub struct PasswordWorkspace {
    blocks: Vec<Block>,
}

/// 33 MiB in argon2's blocks of 1 KiB.
const MAPPED_BLOCKS: usize = 33 * 1024;

impl std::fmt::Debug for PasswordWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordWorkspace({} KiB)", self.blocks.len())
    }
}

impl PasswordWorkspace {
    /// The argon2id hash of `password` at the default parameters, with a new random salt.
    pub fn hash(&mut self, password: &str) -> Result<String, KeyError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| KeyError::Random(e.to_string()))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| KeyError::Random(e.to_string()))?;
        let params = Params::default();
        let output = self
            .output(
                password,
                Algorithm::default(),
                Version::default(),
                params.clone(),
                &salt.as_salt(),
            )
            .map_err(|e| KeyError::Random(e.to_string()))?;
        let hash = PasswordHash {
            algorithm: Algorithm::default().ident(),
            version: Some(Version::default().into()),
            params: ParamsString::try_from(&params).map_err(|e| KeyError::Random(e.to_string()))?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(hash.to_string())
    }

    /// Whether `password` matches `hash` (constant time in the hash comparison; a malformed
    /// hash, or a password longer than [`MAX_PASSWORD_CHARS`], never matches).
    pub fn verify(&mut self, password: &str, hash: &str) -> bool {
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return false;
        }
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let (Ok(algorithm), Ok(version), Ok(params), Some(salt), Some(expected)) = (
            Algorithm::try_from(parsed.algorithm),
            parsed.version.map_or(Ok(Version::default()), Version::try_from),
            Params::try_from(&parsed),
            parsed.salt,
            parsed.hash,
        ) else {
            return false;
        };
        // Output compares in constant time.
        self.output(password, algorithm, version, params, &salt)
            .is_ok_and(|output| output == expected)
    }

    /// argon2 of `password` and `salt` in this workspace's memory, grown where the
    /// parameters need more.
    fn output(
        &mut self,
        password: &str,
        algorithm: Algorithm,
        version: Version,
        params: Params,
        salt: &Salt<'_>,
    ) -> Result<Output, argon2::password_hash::Error> {
        let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
        let salt = salt.decode_b64(&mut salt_bytes)?;
        let blocks = params.block_count();
        if self.blocks.len() < blocks {
            // Asked for in one piece larger than glibc's largest dynamic mmap threshold
            // (32 MiB), the memory is mapped for this workspace alone and given back to the
            // system whole when it is dropped, whatever the allocator did before. Only the
            // blocks used are ever touched, so only they are resident.
            let mut grown = Vec::with_capacity(blocks.max(MAPPED_BLOCKS));
            grown.resize(blocks, Block::default());
            self.blocks = grown;
        }
        let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let argon2 = Argon2::new(algorithm, version, params);
        let memory = &mut self.blocks[..blocks];
        Output::init_with(length, |out| {
            argon2
                .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut *memory)
                .map_err(Into::into)
        })
    }
}

/// A new random password of 16 letters and digits (about 95 bits), for the first-start Demo
/// employee.
pub fn generate_password() -> Result<String, KeyError> {
    crate::secret::random_secret("").map(|secret| secret.chars().take(16).collect())
}

#[cfg(test)]
mod tests {

    #[test]
    fn guessable_passwords_are_refused_and_say_why_in_german() {
        for weak in ["passwort123", "qwertzuiop", "aaaaaaaaaaaa", "mustermann", "1234567890"] {
            let Err(error) = check_new_password(weak, &["Max Mustermann", "max@beispiel.de"]) else {
                panic!("{weak} was accepted");
            };
            assert!(matches!(error, PasswordError::Weak { .. }), "{weak}: {error}");
            assert!(
                error.german().starts_with("Das Passwort ist zu leicht zu erraten: "),
                "{}",
                error.german()
            );
        }
        assert_eq!(check_new_password("kurz", &[]), Err(PasswordError::TooShort));
        for strong in [
            "Sehr-geheim-2026",
            "Ein-neues-Passwort",
            "korrekt Pferd Batterie Heftklammer",
        ] {
            assert_eq!(check_new_password(strong, &["Max Mustermann"]), Ok(()), "{strong}");
        }
        assert_eq!(check_new_password(&generate_password().unwrap(), &[]), Ok(()));
    }

    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("richtig-geheim").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("richtig-geheim", &hash));
        assert!(!verify_password("falsch-geheim", &hash));
        assert!(!verify_password("richtig-geheim", "not a hash"));
        assert_ne!(hash, hash_password("richtig-geheim").unwrap(), "salted");
    }

    #[test]
    fn a_workspace_checks_hashes_made_by_argon2_itself_and_is_reused() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(b"sechzehn-zeichen").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"richtig-geheim", &salt)
            .unwrap()
            .to_string();
        let mut workspace = PasswordWorkspace::default();
        assert!(workspace.verify("richtig-geheim", &theirs));
        let kib = workspace.blocks.len();
        assert_eq!(kib, 19 * 1024, "the default parameters' memory");
        let ours = workspace.hash("richtig-geheim").unwrap();
        assert!(Argon2::default()
            .verify_password(b"richtig-geheim", &PasswordHash::new(&ours).unwrap())
            .is_ok());
        assert!(!workspace.verify("falsch-geheim", &ours));
        assert_eq!(workspace.blocks.len(), kib, "the same memory each time");
        // Other parameters (argon2i, less memory, a shorter output) are read from the hash.
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(1024, 3, 1, Some(16)).unwrap(),
        )
        .hash_password(b"anders", &salt)
        .unwrap()
        .to_string();
        assert!(workspace.verify("anders", &other));
        assert!(!workspace.verify("anders!", &other));
        assert!(!workspace.verify(&"x".repeat(MAX_PASSWORD_CHARS + 1), &ours));
    }

    #[test]
    fn new_passwords_are_long_enough() {
        assert_eq!(check_new_password("kurz", &[]), Err(PasswordError::TooShort));
        assert_eq!(check_new_password(&"x".repeat(1025), &[]), Err(PasswordError::TooLong));
        let generated = generate_password().unwrap();
        assert_eq!(generated.len(), 16);
        assert!(check_new_password(&generated, &[]).is_ok());
    }
}
